import { AssignerProtocol, type Admin } from 'kafkajs';

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  partitions: number[];
}

export interface PartitionProgress {
  partition: number;
  /** The next offset the group will read; null before its first commit. */
  committedOffset: string | null;
  /** The offset the next message appended to the partition will get. */
  endOffset: string;
  /** Messages appended and not yet committed by the group. */
  lag: number;
  /** The member reading the partition now, if the group is stable. */
  memberId?: string;
}

export interface ConsumerGroupReport {
  groupId: string;
  topic: string;
  state: string;
  members: GroupMember[];
  partitions: PartitionProgress[];
  totalLag: number;
}

/**
 * Where a consumer group stands on a topic: who reads which partition, and how far
 * each partition's committed offset is behind its end.
 */
export async function describeConsumerGroup(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<ConsumerGroupReport> {
  const [described, committed, ends] = await Promise.all([
    admin.describeGroups([groupId]),
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const group = described.groups[0];
  const owners = new Map<number, string>();
  const members: GroupMember[] = (group?.members ?? []).map((member) => {
    const decoded = member.memberAssignment.length
      ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
      : null;
    const partitions = [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    for (const partition of partitions) owners.set(partition, member.memberId);
    return {
      memberId: member.memberId,
      clientId: member.clientId,
      host: member.clientHost,
      partitions,
    };
  });
  const offsets = new Map(
    (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
      p.partition,
      p.offset,
    ]),
  );
  const partitions = ends
    .map((end): PartitionProgress => {
      const offset = offsets.get(end.partition);
      const hasCommit = offset !== undefined && offset !== '-1';
      const from = hasCommit ? BigInt(offset) : BigInt(end.low);
      const lag = Number(BigInt(end.high) - from);
      const memberId = owners.get(end.partition);
      return {
        partition: end.partition,
        committedOffset: hasCommit ? offset : null,
        endOffset: end.high,
        lag: Math.max(0, lag),
        ...(memberId ? { memberId } : {}),
      };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    groupId,
    topic,
    state: group?.state ?? 'Unknown',
    members,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
  };
}
