import type { Transaction } from 'kysely';
import type { WardenDatabase } from './database.types.js';
import { ProjectionWorkingSet } from './projection-working-set.js';
import { defaultsRevisionAggregate } from './revisions.js';
import { columnList, unnestRows } from './bulk-rows.js';
import { ProjectionsRebuilding, projectionLockShared } from './projection-lock.js';
import { judgeBypasses } from './protection-bypass.js';
import { prepared } from './prepared-statements.js';
import { stmt } from './statement.js';
import {
  AUDIT_COLUMNS,
  CLAIM_COLUMNS,
  DEAD_LETTER_COLUMNS,
  SUB_EVENT_COLUMNS,
  OUTBOX_COLUMNS,
  SETTLED_COLUMNS,
  type AuditRow,
  type Claim,
  type Settled,
} from './ledger-columns.js';
import type {
  AppliedChange,
  ApplyOutcome,
  BatchResult,
  EarlierOutcome,
  OutboxMessage,
  ProjectionBatch,
} from './projection.types.js';
import type { Rejection } from '#domain/rejection';
import type { ChangeRequestAppliedEvent, DomainEvent, LoggedEvent } from '#domain/event-validation';
import { ApplicationLedger, eventsOf, isApplication } from './change-request-application.js';
import { settledRequestsWrite } from './change-request.rows.js';
import type { StateChange } from './projection-working-set.js';
import type { AggregateStamp, AggregateStatesOfBatch } from './aggregate-state-cache.js';
import { cachedStamps, settledClaims } from './optimistic-apply.js';

type Trx = Transaction<WardenDatabase>;

const json = (value: unknown) => JSON.stringify(value ?? null);

/**
 * Applies a batch inside a transaction the caller owns (a replay owns one for all of
 * them, holding the projection lock itself). Three round trips at most: claim the ids
 * and lock the aggregates, load, write; the load is skipped when `states` (the caller's
 * cache, see `AggregateStateCache`) holds everything the batch reads, and a batch of API
 * writes to cached services is one round trip (`optimistic-apply`; its caller applies it
 * again when that fails with `changedUnderIt`). The caller tells `states` whether the
 * transaction committed.
 */
export async function applyBatchWithin(
  trx: Trx,
  batch: ProjectionBatch,
  options: {
    shareProjectionLock: boolean;
    states?: AggregateStatesOfBatch;
    /** The batch is the whole transaction: its last statement takes the COMMIT along. */
    endsTransaction?: boolean;
    /** With `states` and `endsTransaction`: a batch the cache can decide needs no lock first. */
    decideFromCache?: boolean;
  } = {
    shareProjectionLock: false,
  },
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
  // A change request's changes lock the aggregates they change, like events of their own.
  const expanded = batch.events.map(eventsOf);
  const aggregates = new Set(batch.events.map((e) => e.aggregate));
  for (const events of expanded) for (const e of events) aggregates.add(e.aggregate);
  if (expanded.some((events) => events.some((e) => e.type === 'default-policy.set')))
    aggregates.add(defaultsRevisionAggregate);

  // Decided on the worker's cached states, a batch of API writes locks nothing first: its
  // one statement claims, checks and writes (see `optimistic-apply`).
  const stamps =
    options.states && options.endsTransaction && options.decideFromCache
      ? cachedStamps(batch, expanded, aggregates, options.states)
      : undefined;
  const { fresh, locked, earlier } = stamps
    ? { fresh: new Set(claims.keys()), locked: stamps, earlier: new Map<string, EarlierOutcome>() }
    : await claimAndLock(trx, [...claims.values()], aggregates, options.shareProjectionLock);

  const applying = new Set(
    batch.events.flatMap((event, index) =>
      fresh.has(event.id) && firstIndex.get(event.id) === index ? [index] : [],
    ),
  );
  const state = await ProjectionWorkingSet.load(
    trx,
    expanded.filter((_, index) => applying.has(index)).flat(),
    locked,
    batch.limits,
    options.states,
  );
  const ledger = await ApplicationLedger.lock(
    trx,
    batch.events.filter(
      (e, index): e is ChangeRequestAppliedEvent => applying.has(index) && isApplication(e),
    ),
    batch.replay ?? false,
  );
  // Changes a change request applies went through its review: they bypass nothing.
  const bypassed = await judgeBypasses(
    trx,
    batch.events.filter((e): e is DomainEvent => !isApplication(e)),
  );
  const outcomes: ApplyOutcome[] = [];
  const audit: AuditRow[] = [];
  const settled: Settled[] = [];
  const outbox: OutboxMessage[] = [];
  const subEvents: Claim[] = [];
  const refuse = (event: LoggedEvent, code: Rejection['code'], reason: string) => {
    outcomes.push({ status: 'rejected', code, reason });
    settled.push({ id: event.id, status: 'rejected', code, reason, version: null });
  };
  /** The audit row and feed message of one applied change; `partOf` is its change request. */
  const record = (
    event: DomainEvent,
    result: StateChange,
    partOf?: LoggedEvent,
    bypassedRules?: string[],
  ): AppliedChange => {
    const { before, after, version, revision } = result;
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
    const requestReason = partOf && (partOf.data as { reason?: string }).reason;
    audit.push({
      event_id: event.id,
      type: event.type,
      aggregate: event.aggregate,
      actor: event.actor,
      reason: (event.data as { reason?: string }).reason ?? requestReason ?? null,
      version: version ?? null,
      before: before === undefined ? null : json(before),
      after: after === undefined ? null : json(after),
      occurred_at: event.occurredAt,
      applied_at: now,
      source: event.source ?? 'kafka',
      actor_verified: event.actorVerified ?? false,
      change_request_id: partOf && isApplication(partOf) ? partOf.data.changeRequestId : null,
      bypassed_rules: bypassedRules ? json(bypassedRules) : null,
    });
    if (batch.feed && !batch.replay) outbox.push(batch.feed(event, change));
    return change;
  };
  for (const [index, event] of batch.events.entries()) {
    if (!applying.has(index)) {
      outcomes.push({ status: 'duplicate' });
      continue;
    }
    if (isApplication(event)) {
      const verdict = ledger.check(event);
      if (!verdict.ok) {
        refuse(event, verdict.code, verdict.reason);
        continue;
      }
      const changes = expanded[index];
      const result = state.applyAll(changes);
      if (!result.ok) {
        const reason = ledger.settle(event, now.toISOString(), result)!;
        refuse(event, result.rejection.code, reason);
        continue;
      }
      ledger.settle(event, now.toISOString());
      const applied = changes.map((change, i) => record(change, result.changes[i], event));
      outcomes.push({ status: 'applied-all', changes: applied });
      for (const change of applied) {
        subEvents.push({
          id: change.eventId,
          aggregate: change.aggregate,
          type: change.type,
          status: 'applied',
          reason: null,
          processed_at: now,
          version: change.version ?? null,
        });
      }
      continue;
    }
    const bypassedRules = bypassed(event, state.serviceTier(event));
    const result = state.apply(event);
    if (!result.ok) {
      refuse(event, result.rejection.code, result.rejection.message);
      continue;
    }
    const change = record(event, result.change, undefined, bypassedRules);
    outcomes.push({ status: 'applied', change });
    if (change.version !== undefined)
      settled.push({
        id: event.id,
        status: 'applied',
        code: null,
        reason: null,
        version: change.version,
      });
  }

  if (deadLetters.length > 0 && !batch.replay) {
    const { rows: recorded } = await stmt`
      INSERT INTO dead_letters ${columnList(DEAD_LETTER_COLUMNS)}
      ${unnestRows(
        deadLetters.map((letter) => ({ letter, at: now })),
        DEAD_LETTER_COLUMNS,
      )}
      ON CONFLICT (original_partition, original_offset) DO NOTHING
      RETURNING original_partition, original_offset
    `.execute<{ original_partition: number; original_offset: string }>(trx);
    // A message delivered again is already in the dead-letter topic (or on its way there).
    const fresh = new Set(recorded.map((r) => `${r.original_partition}:${r.original_offset}`));
    for (const letter of deadLetters) {
      if (letter.outbox && fresh.has(`${letter.partition}:${letter.offset}`))
        outbox.push(letter.outbox);
    }
  }

  const writes = [];
  // Each change a change request applied is an event of its own to GET /v1/events/{id}.
  if (subEvents.length > 0) {
    writes.push(stmt`
      INSERT INTO processed_events ${columnList(SUB_EVENT_COLUMNS)} ${unnestRows(subEvents, SUB_EVENT_COLUMNS)}
      ON CONFLICT (id) DO NOTHING`);
  }
  const requests = ledger.settledRequests();
  if (requests.length > 0) writes.push(settledRequestsWrite(requests));
  if (settled.length > 0 && !stamps) {
    writes.push(stmt`
      UPDATE processed_events AS p
      SET status = v.status, code = v.code, reason = v.reason, version = v.version
      FROM (${unnestRows(settled, SETTLED_COLUMNS)}) AS v
      WHERE p.id = v.id`);
  }
  if (audit.length > 0 && !batch.replay) {
    writes.push(
      stmt`INSERT INTO audit_log ${columnList(AUDIT_COLUMNS)} ${unnestRows(audit, AUDIT_COLUMNS)}`,
    );
  } else if (audit.length > 0) {
    // The audit is append-only: a replay keeps every entry as it was and adds only those
    // of events no worker had applied yet when it took the lock (they would otherwise be
    // duplicates to the worker and never audited).
    writes.push(stmt`
      INSERT INTO audit_log ${columnList(AUDIT_COLUMNS)}
      SELECT v.* FROM (${unnestRows(audit, AUDIT_COLUMNS)}) AS v
      WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.event_id = v.event_id)`);
  }
  if (outbox.length > 0 && !batch.replay) {
    writes.push(
      stmt`INSERT INTO outbox_messages ${columnList(OUTBOX_COLUMNS)} ${unnestRows(outbox, OUTBOX_COLUMNS)}`,
    );
  }
  await state.flush(
    trx,
    writes,
    options.endsTransaction ?? false,
    stamps && {
      stamps,
      claims: settledClaims(claims.values(), settled),
      sharesProjectionLock: options.shareProjectionLock,
    },
  );
  if (options.states)
    for (const { aggregate, stamp, state: reached } of state.reachedStates())
      options.states.reach(aggregate, stamp, reached);
  return { outcomes, documents: state.documents(), earlier };
}

/**
 * One statement: take the projection lock (shared; a replay holds it exclusively), claim
 * the event ids (their unique key makes a re-delivered event a no-op and makes a second
 * consumer of the same events wait), and lock the aggregates' rows in a fixed order so
 * that two transactions writing one aggregate take turns. Then what the first delivery of
 * any re-delivered event recorded.
 */
async function claimAndLock(
  trx: Trx,
  claims: Claim[],
  aggregates: ReadonlySet<string>,
  shareProjectionLock: boolean,
): Promise<{
  fresh: Set<string>;
  locked: Map<string, AggregateStamp>;
  earlier: Map<string, EarlierOutcome>;
}> {
  const {
    rows: [claimed],
  } = await stmt`
    ${prepared} WITH lock AS (
      SELECT ${projectionLockShared(shareProjectionLock)} AS held
    ),
    claimed AS (
      INSERT INTO processed_events ${columnList(CLAIM_COLUMNS)}
      SELECT v.* FROM (${unnestRows(claims, CLAIM_COLUMNS)}) AS v, lock WHERE lock.held
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    ),
    locked AS (
      INSERT INTO aggregates (aggregate, revision)
      SELECT a, 0 FROM unnest(${[...aggregates].sort()}::text[]) AS a, lock WHERE lock.held ORDER BY a
      ON CONFLICT (aggregate) DO UPDATE SET revision = aggregates.revision
      RETURNING aggregate, revision, incarnation
    )
    SELECT (SELECT held FROM lock) AS held,
           (SELECT coalesce(json_agg(id), '[]') FROM claimed) AS fresh,
           (SELECT coalesce(json_agg(json_build_array(aggregate, revision, incarnation)), '[]') FROM locked) AS revisions
  `.execute<{ held: boolean; fresh: string[]; revisions: [string, number, number][] }>(trx);
  if (!claimed.held) throw new ProjectionsRebuilding();
  const fresh = new Set(claimed.fresh);
  const earlier = await earlierOutcomes(
    trx,
    claims.filter((c) => c.status === 'applied' && !fresh.has(c.id)).map((c) => c.id),
  );
  const locked = new Map(
    claimed.revisions.map(([aggregate, revision, incarnation]): [string, AggregateStamp] => [
      aggregate,
      { revision: Number(revision), incarnation: Number(incarnation) },
    ]),
  );
  return { fresh, locked, earlier };
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
