import type { DomainEvent, LoggedEvent } from '#domain/event-validation';
import { columnList, unnestRows, type BulkColumn } from './bulk-rows.js';
import { stmt, type Statement } from './statement.js';
import { CLAIM_COLUMNS, type Claim, type Settled } from './ledger-columns.js';
import { isApplication } from './change-request-application.js';
import { projectionLockShared } from './projection-lock.js';
import type { AggregateStamp, AggregateStatesOfBatch } from './aggregate-state-cache.js';
import type { ProjectionBatch } from './projection.types.js';

/**
 * The usual batch of a worker: API writes to services whose state the worker cached when
 * it applied their last change. Such a batch need not lock before it decides. It decides
 * on the cached states and writes in one statement that also claims the event ids and
 * moves each aggregate's revision on only from the revision it decided on; if any id was
 * claimed already, or any revision moved (another applier, a replay), the statement
 * fails (SQLSTATE WB001, see migration 009) and the transaction with it, and the batch is
 * applied again the locking way. One round trip to PostgreSQL per batch instead of two,
 * with the same guarantees: the statement's row locks and checks stand where the first
 * statement's locks stood, and nothing of a failed check is committed.
 */
export const BATCH_CHANGED_UNDER_IT = 'WB001';

/** Whether `error` is the failed check of an optimistic batch: apply it again, locking. */
export function changedUnderIt(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === BATCH_CHANGED_UNDER_IT;
}

/**
 * The stamps an optimistic batch decides on, or undefined when the batch needs the locking
 * way: it reads something the cache does not hold (a service not cached, the defaults, a
 * change request, the protection rules an outside producer's event is judged by), it
 * records dead letters, or it repeats an event id.
 */
export function cachedStamps(
  batch: ProjectionBatch,
  expanded: DomainEvent[][],
  aggregates: ReadonlySet<string>,
  states: AggregateStatesOfBatch,
): Map<string, AggregateStamp> | undefined {
  if (batch.replay || batch.events.length === 0 || (batch.deadLetters?.length ?? 0) > 0)
    return undefined;
  if (new Set(batch.events.map((e) => e.id)).size !== batch.events.length) return undefined;
  if (!batch.events.every(decidableFromCache)) return undefined;
  if (expanded.some((events) => events.some((e) => e.type === 'default-policy.set')))
    return undefined;
  const stamps = new Map<string, AggregateStamp>();
  for (const aggregate of aggregates) {
    const stamp = states.stampOf(aggregate);
    // A revision of 0 may have no row to check (a locking batch removes such rows).
    if (!stamp || stamp.revision === 0) return undefined;
    stamps.set(aggregate, stamp);
  }
  return stamps;
}

/**
 * Changes that write only rows of policies, configuration and history, all in the one
 * statement that takes the locks first (see `guardParts`). A service's own row, the
 * defaults and a deletion are written by statements of their own before it, which would
 * hold rows before the locks that a locking batch or a replay takes first.
 */
const DECIDABLE_FROM_CACHE: ReadonlySet<string> = new Set([
  'policy.set',
  'policy.removed',
  'config.set',
  'config.rolled-back',
  'config.deleted',
]);

function decidableFromCache(event: LoggedEvent): boolean {
  return !isApplication(event) && event.source === 'api' && DECIDABLE_FROM_CACHE.has(event.type);
}

/** What the check of an optimistic batch compares: the stamps decided on and the outcomes. */
export interface BatchGuard {
  /** The events' rows of `processed_events`, each with its outcome; none may exist yet. */
  claims: Claim[];
  /** Each aggregate the batch read: the stamp it decided on and its revision after. */
  revisions: { aggregate: string; stamp: AggregateStamp; next: number }[];
  /** Whether the batch shares the projection lock (a replay holds it exclusively). */
  sharesProjectionLock: boolean;
}

/** A claim with the outcome the batch settled on (the locking way updates it afterwards). */
export function settledClaims(claims: Iterable<Claim>, settled: Settled[]): Claim[] {
  const outcomes = new Map(settled.map((s) => [s.id, s]));
  return [...claims].map((claim) => {
    const outcome = outcomes.get(claim.id);
    return outcome
      ? {
          ...claim,
          status: outcome.status,
          code: outcome.code,
          reason: outcome.reason,
          version: outcome.version,
        }
      : claim;
  });
}

const OUTCOME_COLUMNS: BulkColumn<Claim>[] = [
  ...CLAIM_COLUMNS,
  ['code', 'text', (c) => c.code ?? null],
  ['version', 'integer', (c) => c.version ?? null],
];

const REVISION_COLUMNS: BulkColumn<BatchGuard['revisions'][number]>[] = [
  ['aggregate', 'text', (r) => r.aggregate],
  ['incarnation', 'bigint', (r) => r.stamp.incarnation],
  ['expected', 'bigint', (r) => r.stamp.revision],
  ['next', 'bigint', (r) => r.next],
];

/**
 * The guard's parts of the batch's statement, named (the statement's other parts refer
 * to neither), and the check its first result column runs. PostgreSQL runs a
 * data-modifying CTE when the query first reads it (the others at the end), so the
 * check, evaluated first, takes the projection lock and the aggregates' rows before any
 * other row is written, in the locking batches' order; with the projection lock held by
 * a replay it fails before touching anything. The revisions are written, not only
 * compared: a row that another applier changed meanwhile is not updated (the statement
 * re-reads a row it waited for), and the counts tell.
 */
export function guardParts(guard: BatchGuard): {
  parts: [string, Statement][];
  check: Statement;
} {
  const parts: [string, Statement][] = [
    [
      'claimed',
      stmt`INSERT INTO processed_events ${columnList(OUTCOME_COLUMNS)} ${unnestRows(guard.claims, OUTCOME_COLUMNS)}
          ON CONFLICT (id) DO NOTHING RETURNING id`,
    ],
    [
      'revised',
      stmt`UPDATE aggregates AS a SET revision = v.next
          FROM (${unnestRows(guard.revisions, REVISION_COLUMNS)}) AS v
          WHERE a.aggregate = v.aggregate AND a.incarnation = v.incarnation AND a.revision = v.expected
          RETURNING a.aggregate`,
    ],
  ];
  const check = stmt`warden_batch_unchanged(${projectionLockShared(guard.sharesProjectionLock)}
    AND (SELECT count(*) FROM claimed) = ${guard.claims.length}
    AND (SELECT count(*) FROM revised) = ${guard.revisions.length}) AS unchanged`;
  return { parts, check };
}
