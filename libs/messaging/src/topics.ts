/** The contract's topics. A namespace prefix lets test suites share one broker. */
export const Topics = {
  Events: 'governance.events',
  DeadLetters: 'governance.events.dlq',
  Changes: 'governance.changes',
} as const;

export type TopicNames = { [K in keyof typeof Topics]: string };

export const EVENTS_PARTITIONS = 6;

export function topicNames(namespace: string): TopicNames {
  const prefix = namespace ? `${namespace}.` : '';
  return {
    Events: `${prefix}${Topics.Events}`,
    DeadLetters: `${prefix}${Topics.DeadLetters}`,
    Changes: `${prefix}${Topics.Changes}`,
  };
}

export function consumerGroup(namespace: string): string {
  return namespace ? `${namespace}.warden-worker` : 'warden-worker';
}

/** Headers of a dead letter, as the contract names them. */
export const DeadLetterHeaders = {
  Reason: 'x-error-reason',
  OriginalPartition: 'x-original-partition',
  OriginalOffset: 'x-original-offset',
  RequestId: 'x-request-id',
} as const;
