import type { Database } from './database.js';
import type { EventStatus } from '#domain/event.model';
import type { RejectionCode } from '#domain/rejection';

export interface EventOutcome {
  eventId: string;
  status: Exclude<EventStatus, 'accepted'>;
  aggregate: string;
  type: string;
  code?: RejectionCode;
  reason?: string;
  version?: number;
}

export interface AuditQuery {
  aggregate?: string;
  actor?: string;
  type?: string;
  changeRequestId?: string;
  since?: Date;
  until?: Date;
  /** Exclusive upper bound on the sequence: the last entry of the previous page. */
  before?: number;
  limit: number;
}

export interface AuditEntry {
  seq: number;
  eventId: string;
  type: string;
  aggregate: string;
  actor: string;
  reason?: string;
  version?: number;
  before: unknown;
  after: unknown;
  occurredAt: string;
  appliedAt: string;
  /** `api`: signed by the API, the actor is a token's name; `kafka`: the actor is as claimed. */
  source: string;
  actorVerified: boolean;
  /** The change request that applied this change, if one did. */
  changeRequestId?: string;
}

/** What the worker has done with each event: outcomes, the audit trail and dead letters. */
export class EventLogRepository {
  constructor(private readonly db: Database) {}

  async outcome(eventId: string): Promise<EventOutcome | undefined> {
    const row = await this.db
      .selectFrom('processed_events')
      .selectAll()
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      eventId: row.id,
      status: row.status as EventOutcome['status'],
      aggregate: row.aggregate,
      type: row.type,
      ...(row.code ? { code: row.code as RejectionCode } : {}),
      ...(row.reason ? { reason: row.reason } : {}),
      ...(row.version !== null ? { version: row.version } : {}),
    };
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(query.limit);
    if (query.aggregate) q = q.where('aggregate', '=', query.aggregate);
    if (query.actor) q = q.where('actor', '=', query.actor);
    if (query.type) q = q.where('type', '=', query.type);
    if (query.changeRequestId) q = q.where('change_request_id', '=', query.changeRequestId);
    if (query.since) q = q.where('applied_at', '>=', query.since);
    if (query.until) q = q.where('applied_at', '<', query.until);
    if (query.before !== undefined) q = q.where('seq', '<', String(query.before));
    const rows = await q.execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      eventId: r.event_id,
      type: r.type,
      aggregate: r.aggregate,
      actor: r.actor,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      ...(r.version !== null ? { version: r.version } : {}),
      before: r.before,
      after: r.after,
      occurredAt: new Date(r.occurred_at).toISOString(),
      appliedAt: new Date(r.applied_at).toISOString(),
      source: r.source,
      actorVerified: r.actor_verified,
      ...(r.change_request_id !== null ? { changeRequestId: r.change_request_id } : {}),
    }));
  }
}
