import type { Database } from './database.js';
import { applyBatchWithin } from './projection-batch.js';
import type { ApplyOutcome, BatchResult, DeadLetter, ProjectionBatch } from './projection.types.js';
import type { LoggedEvent } from '#domain/event-validation';
import { AggregateStateCache } from './aggregate-state-cache.js';
import { changedUnderIt } from './optimistic-apply.js';

export type { AggregateDocument } from './projection-working-set.js';
export type * from './projection.types.js';
export { ProjectionsRebuilding, projectionLockKey } from './projection-lock.js';
export { applyBatchWithin } from './projection-batch.js';

/**
 * Write side of the system of record. A batch of events is one transaction: the event
 * ids are claimed first (their unique key makes a re-delivered event a no-op and makes
 * a second consumer of the same events wait), the state is changed in memory and
 * written back once, and the audit, the outcomes, dead letters and outgoing messages
 * are written with it.
 */
export class ProjectionRepository {
  /**
   * `states` keeps what this applier committed for its next batches (see
   * `AggregateStateCache` for why a copy is never stale); off unless given.
   */
  constructor(
    private readonly db: Database,
    readonly states: AggregateStateCache = new AggregateStateCache(0),
  ) {}

  /** One event in its own transaction. */
  async apply(event: LoggedEvent): Promise<ApplyOutcome> {
    const { outcomes } = await this.applyBatch({ events: [event] });
    return outcomes[0];
  }

  async applyBatch(batch: ProjectionBatch): Promise<BatchResult> {
    try {
      return await this.applyOnce(batch, true);
    } catch (error) {
      // Decided on cached states that another applier changed: nothing was committed, the
      // copies are dropped, and the batch goes the locking way.
      if (!changedUnderIt(error)) throw error;
      return this.applyOnce(batch, false);
    }
  }

  private async applyOnce(batch: ProjectionBatch, fromCache: boolean): Promise<BatchResult> {
    const states = this.states.begin();
    try {
      const result = await this.db.transaction().execute((trx) =>
        applyBatchWithin(trx, batch, {
          shareProjectionLock: true,
          states,
          endsTransaction: true,
          decideFromCache: fromCache,
        }),
      );
      states.committed();
      return result;
    } catch (error) {
      states.abandoned();
      throw error;
    }
  }

  /** Records a message that failed for good (the poison path), in its own transaction. */
  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    await this.applyBatch({ events: [], deadLetters: [letter] });
  }
}
