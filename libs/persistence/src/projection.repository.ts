import { sql, type Transaction } from 'kysely';
import type { Database } from './database.js';
import type { WardenDatabase } from './database.types.js';
import { ProjectionWorkingSet, type AggregateDocument } from './projection-working-set.js';
import { defaultsRevisionAggregate } from './revisions.js';
import { columnList, unnestRows, type BulkColumn } from './bulk-rows.js';
import { parseEnvelope, type DomainEvent } from '#domain/event-validation';
import { Rejection } from '#domain/rejection';

export type { AggregateDocument } from './projection-working-set.js';

type Trx = Transaction<WardenDatabase>;

/** What applying one event changed: enough to refresh caches and answer a waiting writer. */
export interface AppliedChange {
  eventId: string;
  type: DomainEvent['type'];
  aggregate: string;
  /** The aggregate's revision after this change (orders cache writes). */
  revision: number;
  /** The changed resource's own version; absent for a delete. */
  version?: number;
  before: unknown;
  after: unknown;
  appliedAt: string;
}

export type ApplyOutcome =
  | { status: 'applied'; change: AppliedChange }
  | { status: 'rejected'; code: Rejection['code']; reason: string }
  | { status: 'duplicate' };

/** A Kafka message that leaves with the transaction that produced it (see the outbox relay). */
export interface OutboxMessage {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/** A message of the log that could not be applied, and why. */
export interface DeadLetter {
  eventId?: string;
  reason: string;
  partition: number;
  offset: string;
  key: string | null;
  payload: Buffer | null;
  headers: Record<string, string>;
  /** Its copy for the dead-letter topic. */
  outbox?: OutboxMessage;
}

export interface ProjectionBatch {
  /** Valid events in log order (per aggregate, the order that matters). */
  events: DomainEvent[];
  /** Messages of the same stretch of log that are not events. */
  deadLetters?: DeadLetter[];
  /** The change-feed message of an applied change, written to the outbox. */
  feed?: (event: DomainEvent, change: AppliedChange) => OutboxMessage;
  /**
   * A replay rebuilds state only: dead letters and feed messages went out the first
   * time, so neither is recorded again.
   */
  replay?: boolean;
}

export interface BatchResult {
  /** One per event of the batch, in its order. */
  outcomes: ApplyOutcome[];
  /** The state after the batch of every aggregate it changed. */
  documents: AggregateDocument[];
  /** For each duplicate, what the first delivery recorded (to announce it again). */
  earlier: Map<string, EarlierOutcome>;
}

export interface EarlierOutcome {
  status: 'applied' | 'rejected' | 'dead-lettered';
  code?: Rejection['code'];
  reason?: string;
  version?: number;
}

/** A message as the log holds it. */
export interface LogMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sorts a stretch of log into valid events (validated exactly as the API validates
 * writes) and dead letters with their reasons; the worker and a replay read it alike.
 */
export function readLog(messages: LogMessage[]): {
  events: { event: DomainEvent; requestId?: string }[];
  deadLetters: DeadLetter[];
} {
  const events: { event: DomainEvent; requestId?: string }[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const parsed = parseEnvelope(message.value, message.key);
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

/** A replay holds the projections: appliers wait and retry instead of racing it. */
export class ProjectionsRebuilding extends Error {
  constructor() {
    super('the projections are being rebuilt by a replay; retrying');
    this.name = 'ProjectionsRebuilding';
  }
}

/**
 * The advisory lock that a replay holds exclusively and every batch shares; the key
 * includes the schema so that suites sharing a server do not block each other.
 */
export const projectionLockKey = sql<string>`hashtextextended('warden.projections:' || current_schema(), 0)`;

const json = (value: unknown) => JSON.stringify(value ?? null);

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
  async apply(event: DomainEvent): Promise<ApplyOutcome> {
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

interface Claim {
  id: string;
  aggregate: string;
  type: string;
  status: string;
  reason: string | null;
  processed_at: Date;
}

/**
 * Applies a batch inside a transaction the caller owns (a replay owns one for all of
 * them, holding the projection lock itself). Three round trips in the usual case: claim
 * the ids and lock the aggregates, load, write.
 */
export async function applyBatchWithin(
  trx: Trx,
  batch: ProjectionBatch,
  options: { shareProjectionLock: boolean } = { shareProjectionLock: false },
): Promise<BatchResult> {
  const now = new Date();
  const deadLetters = batch.deadLetters ?? [];
  const claims = new Map<string, Claim>();
  const firstIndex = new Map<string, number>();
  batch.events.forEach((event, index) => {
    if (claims.has(event.id)) return;
    firstIndex.set(event.id, index);
    claims.set(event.id, {
      id: event.id,
      aggregate: event.aggregate,
      type: event.type,
      status: 'applied',
      reason: null,
      processed_at: now,
    });
  });
  for (const letter of deadLetters) {
    if (!letter.eventId || claims.has(letter.eventId)) continue;
    claims.set(letter.eventId, {
      id: letter.eventId,
      aggregate: letter.key ?? '',
      type: 'unknown',
      status: 'dead-lettered',
      reason: letter.reason,
      processed_at: now,
    });
  }
  const aggregates = new Set(batch.events.map((e) => e.aggregate));
  if (batch.events.some((e) => e.type === 'default-policy.set'))
    aggregates.add(defaultsRevisionAggregate);

  // One statement: take the projection lock (shared; a replay holds it exclusively),
  // claim the event ids (their unique key makes a re-delivered event a no-op and makes a
  // second consumer of the same events wait), and lock the aggregates' rows in a fixed
  // order so that two transactions writing one aggregate take turns.
  const {
    rows: [claimed],
  } = await sql<{ held: boolean; fresh: string[]; revisions: [string, number][] }>`
    WITH lock AS (
      SELECT ${options.shareProjectionLock ? sql`pg_try_advisory_xact_lock_shared(${projectionLockKey})` : sql`true`} AS held
    ),
    claimed AS (
      INSERT INTO processed_events ${columnList(CLAIM_COLUMNS)}
      SELECT v.* FROM (${unnestRows([...claims.values()], CLAIM_COLUMNS)}) AS v, lock WHERE lock.held
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    ),
    locked AS (
      INSERT INTO aggregates (aggregate, revision)
      SELECT a, 0 FROM unnest(${[...aggregates].sort()}::text[]) AS a, lock WHERE lock.held ORDER BY a
      ON CONFLICT (aggregate) DO UPDATE SET revision = aggregates.revision
      RETURNING aggregate, revision
    )
    SELECT (SELECT held FROM lock) AS held,
           (SELECT coalesce(json_agg(id), '[]') FROM claimed) AS fresh,
           (SELECT coalesce(json_agg(json_build_array(aggregate, revision)), '[]') FROM locked) AS revisions
  `.execute(trx);
  if (!claimed.held) throw new ProjectionsRebuilding();
  const fresh = new Set(claimed.fresh);
  const earlier = await earlierOutcomes(
    trx,
    batch.events.filter((e) => !fresh.has(e.id)).map((e) => e.id),
  );

  const applying = new Set(
    batch.events.flatMap((event, index) =>
      fresh.has(event.id) && firstIndex.get(event.id) === index ? [index] : [],
    ),
  );
  const state = await ProjectionWorkingSet.load(
    trx,
    batch.events.filter((_, index) => applying.has(index)),
    new Map(claimed.revisions.map(([aggregate, revision]) => [aggregate, Number(revision)])),
  );
  const outcomes: ApplyOutcome[] = [];
  const audit: AuditRow[] = [];
  const settled: Settled[] = [];
  const outbox: OutboxMessage[] = [];
  for (const [index, event] of batch.events.entries()) {
    if (!applying.has(index)) {
      outcomes.push({ status: 'duplicate' });
      continue;
    }
    try {
      const { before, after, version, revision } = state.apply(event);
      const change: AppliedChange = {
        eventId: event.id,
        type: event.type,
        aggregate: event.aggregate,
        revision,
        version,
        before,
        after,
        appliedAt: now.toISOString(),
      };
      outcomes.push({ status: 'applied', change });
      if (version !== undefined)
        settled.push({ id: event.id, status: 'applied', code: null, reason: null, version });
      audit.push({
        event_id: event.id,
        type: event.type,
        aggregate: event.aggregate,
        actor: event.actor,
        reason: (event.data as { reason?: string }).reason ?? null,
        version: version ?? null,
        before: before === undefined ? null : json(before),
        after: after === undefined ? null : json(after),
        occurred_at: event.occurredAt,
        applied_at: now,
      });
      if (batch.feed && !batch.replay) outbox.push(batch.feed(event, change));
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      outcomes.push({ status: 'rejected', code: error.code, reason: error.message });
      settled.push({
        id: event.id,
        status: 'rejected',
        code: error.code,
        reason: error.message,
        version: null,
      });
    }
  }

  if (deadLetters.length > 0 && !batch.replay) {
    const { rows: recorded } = await sql<{ original_partition: number; original_offset: string }>`
      INSERT INTO dead_letters ${columnList(DEAD_LETTER_COLUMNS)}
      ${unnestRows(
        deadLetters.map((letter) => ({ letter, at: now })),
        DEAD_LETTER_COLUMNS,
      )}
      ON CONFLICT (original_partition, original_offset) DO NOTHING
      RETURNING original_partition, original_offset
    `.execute(trx);
    // A message delivered again is already in the dead-letter topic (or on its way there).
    const fresh = new Set(recorded.map((r) => `${r.original_partition}:${r.original_offset}`));
    for (const letter of deadLetters) {
      if (letter.outbox && fresh.has(`${letter.partition}:${letter.offset}`))
        outbox.push(letter.outbox);
    }
  }

  const writes = [];
  if (settled.length > 0) {
    writes.push(sql`
      UPDATE processed_events AS p
      SET status = v.status, code = v.code, reason = v.reason, version = v.version
      FROM (${unnestRows(settled, SETTLED_COLUMNS)}) AS v
      WHERE p.id = v.id`);
  }
  if (audit.length > 0) {
    writes.push(
      sql`INSERT INTO audit_log ${columnList(AUDIT_COLUMNS)} ${unnestRows(audit, AUDIT_COLUMNS)}`,
    );
  }
  if (outbox.length > 0 && !batch.replay) {
    writes.push(
      sql`INSERT INTO outbox_messages ${columnList(OUTBOX_COLUMNS)} ${unnestRows(outbox, OUTBOX_COLUMNS)}`,
    );
  }
  await state.flush(trx, writes);
  return { outcomes, documents: state.documents(), earlier };
}

/** What the first delivery of re-delivered events recorded; one query, only when there are any. */
async function earlierOutcomes(trx: Trx, ids: string[]): Promise<Map<string, EarlierOutcome>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('processed_events')
    .select(['id', 'status', 'code', 'reason', 'version'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        status: r.status as EarlierOutcome['status'],
        ...(r.code ? { code: r.code as Rejection['code'] } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.version !== null ? { version: r.version } : {}),
      },
    ]),
  );
}

const DEAD_LETTER_COLUMNS: BulkColumn<{ letter: DeadLetter; at: Date }>[] = [
  ['event_id', 'uuid', ({ letter }) => letter.eventId ?? null],
  ['reason', 'text', ({ letter }) => letter.reason],
  ['original_partition', 'integer', ({ letter }) => letter.partition],
  ['original_offset', 'text', ({ letter }) => letter.offset],
  ['key', 'text', ({ letter }) => letter.key],
  ['payload', 'bytea', ({ letter }) => letter.payload],
  ['headers', 'jsonb', ({ letter }) => json(letter.headers)],
  ['created_at', 'timestamptz', ({ at }) => at],
];

const CLAIM_COLUMNS: BulkColumn<Claim>[] = [
  ['id', 'uuid', (c) => c.id],
  ['aggregate', 'text', (c) => c.aggregate],
  ['type', 'text', (c) => c.type],
  ['status', 'text', (c) => c.status],
  ['reason', 'text', (c) => c.reason],
  ['processed_at', 'timestamptz', (c) => c.processed_at],
];

interface Settled {
  id: string;
  status: string;
  code: string | null;
  reason: string | null;
  version: number | null;
}

const SETTLED_COLUMNS: BulkColumn<Settled>[] = [
  ['id', 'uuid', (s) => s.id],
  ['status', 'text', (s) => s.status],
  ['code', 'text', (s) => s.code],
  ['reason', 'text', (s) => s.reason],
  ['version', 'integer', (s) => s.version],
];

interface AuditRow {
  event_id: string;
  type: string;
  aggregate: string;
  actor: string;
  reason: string | null;
  version: number | null;
  before: string | null;
  after: string | null;
  occurred_at: string;
  applied_at: Date;
}

const AUDIT_COLUMNS: BulkColumn<AuditRow>[] = [
  ['event_id', 'uuid', (a) => a.event_id],
  ['type', 'text', (a) => a.type],
  ['aggregate', 'text', (a) => a.aggregate],
  ['actor', 'text', (a) => a.actor],
  ['reason', 'text', (a) => a.reason],
  ['version', 'integer', (a) => a.version],
  ['before', 'jsonb', (a) => a.before],
  ['after', 'jsonb', (a) => a.after],
  ['occurred_at', 'timestamptz', (a) => a.occurred_at],
  ['applied_at', 'timestamptz', (a) => a.applied_at],
];

const OUTBOX_COLUMNS: BulkColumn<OutboxMessage>[] = [
  ['topic', 'text', (m) => m.topic],
  ['key', 'text', (m) => m.key],
  ['value', 'bytea', (m) => (typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : m.value)],
  ['headers', 'jsonb', (m) => json(m.headers ?? {})],
];
