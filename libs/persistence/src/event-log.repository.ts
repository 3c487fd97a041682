import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Database } from './database.js';
import type { AuditLogTable } from './database.types.js';
import { POLICY_TYPES } from '#domain/policy.model';
import { defaultsRevisionAggregate } from './revisions.js';
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
  /**
   * True when the change came from outside the API (`source: kafka`) to a target that
   * protection rules cover: it was applied without the change request a direct write needs.
   */
  protectionBypassed: boolean;
  /** The rules it bypassed, when it did. */
  bypassedRules?: string[];
}

/**
 * Which revision an applied change brought an effective view's inputs to: the service's
 * aggregate revision, or for a change of a global default the defaults revision.
 */
export interface ChangeRevision {
  eventId: string;
  aggregate: string;
  input: 'service' | 'defaults';
  revision: number;
}

/** An admin's action outside the event log, as the audit keeps it. */
export interface AdminActionRecord {
  type: string;
  /** What the action acts on, in the audit's `aggregate` column. */
  target: string;
  actor: string;
  reason?: string;
  before?: unknown;
  after?: unknown;
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

  /**
   * Appends an admin action to the audit. It has an id of its own in `event_id` (no event
   * carries it) and, as the API saw the token, a verified actor.
   */
  async recordAdminAction(action: AdminActionRecord): Promise<AuditEntry> {
    const now = new Date();
    const row = await this.db
      .insertInto('audit_log')
      .values({
        event_id: randomUUID(),
        type: action.type,
        aggregate: action.target,
        actor: action.actor,
        reason: action.reason ?? null,
        version: null,
        before: action.before === undefined ? null : JSON.stringify(action.before),
        after: action.after === undefined ? null : JSON.stringify(action.after),
        occurred_at: now,
        applied_at: now,
        source: 'api',
        actor_verified: true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuditEntry(row);
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
    return rows.map(toAuditEntry);
  }

  /**
   * The revision the applied change `eventId` brought the inputs of `slug`'s effective
   * views to, or undefined when it changed neither that service nor a global default.
   * Each applied change bumps its aggregate's revision by one and has one audit row (a
   * default's change also bumps the defaults revision; a replay re-applies the same
   * changes to the same revisions), so the revision then is today's revision less the
   * changes audited since. Admin actions name other targets (`cache:…`), never these.
   */
  async changeRevision(eventId: string, slug: string): Promise<ChangeRevision | undefined> {
    const aggregates = [`service:${slug}`, ...POLICY_TYPES.map((type) => `defaults:${type}`)];
    const { rows } = await sql<{ aggregate: string; defaults: boolean; revision: string | null }>`
      WITH change AS (
        SELECT seq, aggregate, type = 'default-policy.set' AS defaults
        FROM audit_log
        WHERE aggregate = ANY(${aggregates}::text[]) AND event_id = ${eventId}::uuid
        ORDER BY seq LIMIT 1
      )
      SELECT c.aggregate, c.defaults,
        (SELECT revision FROM aggregates
           WHERE aggregate = CASE WHEN c.defaults THEN ${defaultsRevisionAggregate} ELSE c.aggregate END)
        - (SELECT count(*) FROM audit_log l
           WHERE l.seq > c.seq
             AND CASE WHEN c.defaults THEN l.type = 'default-policy.set' ELSE l.aggregate = c.aggregate END)
          AS revision
      FROM change c`.execute(this.db);
    const row = rows[0];
    if (!row || row.revision === null || row.aggregate.startsWith('defaults:') !== row.defaults)
      return undefined;
    return {
      eventId,
      aggregate: row.aggregate,
      input: row.defaults ? 'defaults' : 'service',
      revision: Number(row.revision),
    };
  }
}

function toAuditEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
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
    protectionBypassed: (r.bypassed_rules?.length ?? 0) > 0,
    ...(r.bypassed_rules?.length ? { bypassedRules: r.bypassed_rules } : {}),
    ...(r.change_request_id !== null ? { changeRequestId: r.change_request_id } : {}),
  };
}
