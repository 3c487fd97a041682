import type { Database } from './database.js';
import { applyBatchWithin } from './projection-batch.js';
import type {
  ApplyOutcome,
  BatchResult,
  DeadLetter,
  LogMessage,
  ProjectionBatch,
} from './projection.types.js';
import { parseLoggedEnvelope, type LoggedEvent } from '#domain/event-validation';

export type { AggregateDocument } from './projection-working-set.js';
export type * from './projection.types.js';
export { ProjectionsRebuilding, projectionLockKey } from './projection-lock.js';
export { applyBatchWithin } from './projection-batch.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sorts a stretch of log into valid events (validated exactly as the API validates
 * writes) and dead letters with their reasons; the worker and a replay read it alike.
 */
export function readLog(messages: LogMessage[]): {
  events: { event: LoggedEvent; requestId?: string }[];
  deadLetters: DeadLetter[];
} {
  const events: { event: LoggedEvent; requestId?: string }[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const parsed = parseLoggedEnvelope(message.value);
    if (parsed.ok) {
      events.push({ event: parsed.event, requestId: message.headers['x-request-id'] });
      continue;
    }
    deadLetters.push({
      eventId: parsed.eventId && UUID.test(parsed.eventId) ? parsed.eventId : undefined,
      reason: parsed.reason,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      payload: message.value,
      headers: message.headers,
    });
  }
  return { events, deadLetters };
}

/**
 * Write side of the system of record. A batch of events is one transaction: the event
 * ids are claimed first (their unique key makes a re-delivered event a no-op and makes
 * a second consumer of the same events wait), the state is changed in memory and
 * written back once, and the audit, the outcomes, dead letters and outgoing messages
 * are written with it.
 */
export class ProjectionRepository {
  constructor(private readonly db: Database) {}

  /** One event in its own transaction. */
  async apply(event: LoggedEvent): Promise<ApplyOutcome> {
    const { outcomes } = await this.applyBatch({ events: [event] });
    return outcomes[0];
  }

  async applyBatch(batch: ProjectionBatch): Promise<BatchResult> {
    return this.db
      .transaction()
      .execute((trx) => applyBatchWithin(trx, batch, { shareProjectionLock: true }));
  }

  /** Records a message that failed for good (the poison path), in its own transaction. */
  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    await this.applyBatch({ events: [], deadLetters: [letter] });
  }
}
