import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '#messaging/messaging.constants';
import { DeadLetterHeaders, type TopicNames } from '#messaging/topics';
import type { UnreadableMessage } from '#messaging/envelope-reader';
import type { DomainEvent } from '#domain/event-validation';
import { shownResource } from '#domain/secret-value';
import type { AppliedChange, DeadLetter, OutboxMessage } from '#persistence/projection.repository';

/** The shapes of what the worker publishes: the change feed and the dead-letter topic. */
@Injectable()
export class OutboxMessages {
  constructor(@Inject(TOPICS) private readonly topics: TopicNames) {}

  /**
   * One applied change for `governance.changes`, keyed by its aggregate. Its consumers
   * hold no token, so a secret's value is always masked here.
   */
  changeFeed(event: DomainEvent, change: AppliedChange, requestId?: string): OutboxMessage {
    return {
      topic: this.topics.Changes,
      key: event.aggregate,
      value: JSON.stringify({
        eventId: change.eventId,
        type: change.type,
        aggregate: change.aggregate,
        actor: event.actor,
        source: event.source ?? 'kafka',
        actorVerified: event.actorVerified ?? false,
        version: change.version,
        revision: change.revision,
        state: shownResource(change.after ?? null),
        appliedAt: change.appliedAt,
      }),
      headers: requestId ? { [DeadLetterHeaders.RequestId]: requestId } : undefined,
    };
  }

  /** A dead letter with its copy for the dead-letter topic: the original bytes, headers saying why and whence. */
  deadLetter(letter: UnreadableMessage): DeadLetter {
    return {
      ...letter,
      outbox: {
        topic: this.topics.DeadLetters,
        key: letter.key,
        value: letter.payload ?? Buffer.alloc(0),
        headers: {
          ...letter.headers,
          [DeadLetterHeaders.Reason]: letter.reason,
          [DeadLetterHeaders.OriginalPartition]: String(letter.partition),
          [DeadLetterHeaders.OriginalOffset]: letter.offset,
        },
      },
    };
  }
}
