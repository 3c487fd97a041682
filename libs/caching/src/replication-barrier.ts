import type { Cluster, Redis } from 'ioredis';

/** How long a refresh waits for its master's replica; past it the write stands as it is. */
const REPLICA_WAIT_MS = 100;

/**
 * Redis replicates asynchronously: a master that dies right after a refresh may leave a
 * promoted replica holding the older revision, which readers would then take as current
 * until the aggregate's next change or the TTL. The worker's refreshes therefore wait
 * (`WAIT 1`) until the replica has them before the change is announced. The waits are
 * grouped: one WAIT per master with a replica stands for every write completed before it
 * was sent, since WAIT covers all earlier writes of its connection. A master without a
 * replica (its replica was just promoted) is not waited for.
 */
export class ReplicationBarrier {
  private waiting: (() => void)[] = [];
  private running = false;

  constructor(private readonly cluster: Cluster) {}

  /** Resolves once the writes completed before the call reached the replicas (or at the bound). */
  reached(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const round = this.waiting.splice(0);
        await Promise.all(
          this.mastersWithReplica().map((node) => node.wait(1, REPLICA_WAIT_MS).catch(() => 0)),
        );
        for (const resolve of round) resolve();
      }
    } finally {
      this.running = false;
    }
  }

  private mastersWithReplica(): Redis[] {
    const replicated = new Set<string>();
    for (const owners of this.cluster.slots) {
      if (owners && owners.length > 1) replicated.add(owners[0]);
    }
    return this.cluster
      .nodes('master')
      .filter((node) => replicated.has(`${node.options.host}:${node.options.port}`));
  }
}
