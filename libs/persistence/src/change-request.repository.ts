import { sql } from 'kysely';
import type { Database } from './database.js';
import { toChangeRequest, toChangeRequestRow } from './change-request.rows.js';
import { OUTBOX_COLUMNS } from './ledger-columns.js';
import { columnList, unnestRows } from './bulk-rows.js';
import type { OutboxMessage } from './projection.types.js';
import type { ChangeRequest, ChangeRequestStatus } from '#domain/change-request.model';
import type { ReviewDecision } from '#domain/change-request.rules';
import type { CurrentRecord } from '#domain/change-request.diff';
import type { DomainEvent } from '#domain/event-validation';
import { defaultsAggregate } from '#domain/event.model';
import type { PolicyType } from '#domain/policy.model';
import { loadAggregates } from './aggregate-loader.js';
import { toDefaultPolicyResource } from './row-mappers.js';
import { defaultsRevisionAggregate } from './revisions.js';

export interface ChangeRequestQuery {
  status?: ChangeRequestStatus;
  /** Requests with a change to this service. */
  service?: string;
  /** Exclusive upper bound on the sequence: the last entry of the previous page. */
  before?: number;
  limit: number;
}

export type ListedChangeRequest = ChangeRequest & { seq: number };

/**
 * The change requests. The API creates and reviews them, each review a compare under
 * the row's lock so that two reviewers take turns; the worker settles them where it
 * applies their changes (see projection-batch.ts), and its scheduler queues the due ones.
 */
export class ChangeRequestRepository {
  constructor(private readonly db: Database) {}

  async create(request: ChangeRequest): Promise<ChangeRequest> {
    const row = await this.db
      .insertInto('change_requests')
      .values(toChangeRequestRow(request))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChangeRequest(row);
  }

  async find(id: string): Promise<ChangeRequest | undefined> {
    const row = await this.db
      .selectFrom('change_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toChangeRequest(row);
  }

  /** Newest first. */
  async page(query: ChangeRequestQuery): Promise<ListedChangeRequest[]> {
    let q = this.db
      .selectFrom('change_requests')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(query.limit);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.service) q = q.where(sql<boolean>`services @> ARRAY[${query.service}]::text[]`);
    if (query.before !== undefined) q = q.where('seq', '<', String(query.before));
    const rows = await q.execute();
    return rows.map((row) => ({ ...toChangeRequest(row), seq: Number(row.seq) }));
  }

  /**
   * Decides a review on the request as it is under its row's lock and stores the
   * outcome; undefined when there is no such request.
   */
  async review(
    id: string,
    decide: (request: ChangeRequest) => ReviewDecision,
  ): Promise<ReviewDecision | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('change_requests')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return undefined;
      const decision = decide(toChangeRequest(row));
      if (decision.ok && decision.changed) {
        const { request } = decision;
        await trx
          .updateTable('change_requests')
          .set({
            status: request.status,
            approvals: JSON.stringify(request.approvals),
            closed_by: request.closedBy ? JSON.stringify(request.closedBy) : null,
            updated_at: request.updatedAt,
          })
          .where('id', '=', id)
          .execute();
      }
      return decision;
    });
  }

  /**
   * The scheduler's pass: takes the approved requests whose `applyAt` has come and that
   * no pass has queued yet (skipping those another worker is taking), writes each one's
   * apply event to the outbox and marks it queued, all in one transaction. A worker that
   * dies before the commit leaves them for the next pass; after it, the outbox relay
   * publishes the event (at least once, and the worker applies its id once).
   */
  async queueDue(
    now: Date,
    limit: number,
    applyMessage: (request: ChangeRequest) => OutboxMessage,
  ): Promise<ChangeRequest[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('change_requests')
        .selectAll()
        .where('status', '=', 'approved')
        .where('apply_at', '<=', now)
        .where('apply_queued_at', 'is', null)
        .orderBy('apply_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return [];
      const requests = rows.map(toChangeRequest);
      const messages = requests.map(applyMessage);
      await sql`INSERT INTO outbox_messages ${columnList(OUTBOX_COLUMNS)} ${unnestRows(messages, OUTBOX_COLUMNS)}`.execute(
        trx,
      );
      await trx
        .updateTable('change_requests')
        .set({ apply_queued_at: now })
        .where(
          'id',
          'in',
          requests.map((r) => r.id),
        )
        .execute();
      return requests;
    });
  }

  /**
   * What `events` would change, as the record holds it now (one snapshot): their
   * aggregates with every global default, and the revisions. For previews; it locks nothing.
   */
  async currentRecord(events: DomainEvent[]): Promise<CurrentRecord> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const aggregates = [...new Set(events.map((e) => e.aggregate)), defaultsRevisionAggregate];
        const [states, defaults, revisions] = await Promise.all([
          loadAggregates(trx, events),
          trx.selectFrom('default_policies').selectAll().execute(),
          trx
            .selectFrom('aggregates')
            .select(['aggregate', 'revision'])
            .where('aggregate', 'in', aggregates)
            .execute(),
        ]);
        for (const row of defaults) {
          const type = row.type as PolicyType;
          states.set(defaultsAggregate(type), {
            kind: 'default-policy',
            type,
            policy: toDefaultPolicyResource(row),
          });
        }
        const revisionOf = new Map(revisions.map((r) => [r.aggregate, Number(r.revision)]));
        return {
          states,
          revisions: revisionOf,
          defaultsRevision: revisionOf.get(defaultsRevisionAggregate) ?? 0,
        };
      });
  }

  /** An explicit apply published the event: the scheduler need not queue it again. */
  async markApplyQueued(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('change_requests')
      .set({ apply_queued_at: at })
      .where('id', '=', id)
      .where('apply_queued_at', 'is', null)
      .execute();
  }
}
