import type { Insertable, Transaction } from 'kysely';
import type { Statement } from './statement.js';
import type { ConfigHistoryTable, WardenDatabase } from './database.types.js';
import {
  toConfigResource,
  toDefaultPolicyResource,
  toPolicyResource,
  toServiceResource,
} from './row-mappers.js';
import { defaultsRevisionAggregate } from './revisions.js';
import { loadAggregates } from './aggregate-loader.js';
import { rowChangesOf } from './aggregate-diff.js';
import { writeRowChanges } from './aggregate-writer.js';
import type { DomainEvent } from '#domain/event-validation';
import { defaultsAggregate, serviceAggregate } from '#domain/event.model';
import type { ServiceResource } from '#domain/service.model';
import type { DefaultsSnapshot, ServiceSnapshot } from '#domain/effective-view';
import {
  serviceSnapshotOf,
  type AggregateState,
  type ServiceAggregate,
} from '#domain/governance-state';
import { decideAll, type AcceptedDecision } from '#domain/governance.rules';
import { DEFAULT_LIMITS, type GovernanceLimits } from '#domain/governance-limits';
import type { PrunedHistory } from './aggregate-diff.js';
import type { StoredRows } from './aggregate-writer.js';
import type { AggregateStamp, AggregateStatesOfBatch } from './aggregate-state-cache.js';
import type { Rejection } from '#domain/rejection';
import type { BatchGuard } from './optimistic-apply.js';

type Trx = Transaction<WardenDatabase>;

/** What one event did to the state: the resource before and after, and its version. */
export interface StateChange {
  before: unknown;
  after: unknown;
  version?: number;
  /** The aggregate's revision after the change. */
  revision: number;
}

/** The state of one aggregate after a batch, as the caches hold it. */
export type AggregateDocument =
  | {
      kind: 'service';
      aggregate: string;
      slug: string;
      revision: number;
      service?: ServiceResource;
      snapshot?: ServiceSnapshot;
    }
  | { kind: 'defaults'; aggregate: string; revision: number; defaults: DefaultsSnapshot };

/** Several events applied together, or the first that the rules refused. */
export type SequenceResult =
  { ok: true; changes: StateChange[] } | { ok: false; index: number; rejection: Rejection };

/**
 * Everything a batch of events reads and writes: the aggregates loaded once, changed in
 * memory event by event by the domain's rules (`decideAll`), and written back once as
 * the difference between the state loaded and the state reached. The rules decide before
 * anything changes, so a refused event leaves no trace and needs no savepoint.
 */
export class ProjectionWorkingSet {
  private readonly revisions = new Map<string, number>();
  private readonly incarnations = new Map<string, number>();
  private readonly touchedRevisions = new Set<string>();
  /** The aggregates as PostgreSQL holds them. */
  private loaded = new Map<string, AggregateState>();
  /** The same aggregates after the events applied so far. */
  private readonly current = new Map<string, AggregateState>();
  private readonly history: Insertable<ConfigHistoryTable>[] = [];
  private readonly erasedHistory = new Set<string>();
  /** Per entry (`[slug, env, key]` as JSON), the newest version pruned so far. */
  private readonly prunedHistory = new Map<string, PrunedHistory>();
  private readonly changedSlugs = new Set<string>();
  private defaultsChanged = false;

  private constructor(private readonly limits: GovernanceLimits) {}

  /**
   * Loads what `events` can touch in one round trip. `locked` are the aggregates'
   * stamps, read when their rows were locked (see `applyBatchWithin`), so nobody else
   * changes them until this transaction ends; a service whose state `states` holds at
   * that stamp is taken from there.
   */
  static async load(
    trx: Trx,
    events: DomainEvent[],
    locked: Map<string, AggregateStamp>,
    limits: GovernanceLimits = DEFAULT_LIMITS,
    states?: AggregateStatesOfBatch,
  ): Promise<ProjectionWorkingSet> {
    const set = new ProjectionWorkingSet(limits);
    for (const [aggregate, { revision, incarnation }] of locked) {
      set.revisions.set(aggregate, revision);
      set.incarnations.set(aggregate, incarnation);
    }
    const known = new Map<string, ServiceAggregate>();
    if (states) {
      for (const event of events) {
        if (event.type === 'default-policy.set' || known.has(event.data.slug)) continue;
        const stamp = locked.get(event.aggregate);
        const state = stamp && states.find(event.aggregate, stamp);
        if (state) known.set(event.data.slug, state);
      }
    }
    set.loaded = await loadAggregates(trx, events, known);
    for (const [aggregate, state] of set.loaded) set.current.set(aggregate, state);
    return set;
  }

  /** The tier of the service an event belongs to, as the events so far left it. */
  serviceTier(event: DomainEvent): number | undefined {
    if (event.type === 'default-policy.set') return undefined;
    const state = this.current.get(event.aggregate);
    return state?.kind === 'service' ? state.service?.tier : undefined;
  }

  /** Applies one event in memory, or answers why the rules refused it. */
  apply(
    event: DomainEvent,
  ): { ok: true; change: StateChange } | { ok: false; rejection: Rejection } {
    const result = this.applyAll([event]);
    return result.ok ? { ok: true, change: result.changes[0] } : result;
  }

  /**
   * Applies events in order, all or none: a refusal of any leaves the working set as
   * it was. The events must be among those the set was loaded for.
   */
  applyAll(events: DomainEvent[]): SequenceResult {
    const decided = decideAll(this.current, events, this.limits);
    if (!decided.ok) return decided;
    for (const [aggregate, state] of decided.states) this.current.set(aggregate, state);
    const changes = events.map((event, i) => this.record(event, decided.decisions[i]));
    return { ok: true, changes };
  }

  private record(event: DomainEvent, decision: AcceptedDecision): StateChange {
    const revision = this.bump(event.aggregate);
    if (event.type === 'default-policy.set') {
      this.bump(defaultsRevisionAggregate);
      this.defaultsChanged = true;
    } else {
      const slug = event.data.slug;
      this.changedSlugs.add(slug);
      if (decision.history?.kind === 'erased') {
        this.erasedHistory.add(slug);
        for (let i = this.history.length - 1; i >= 0; i--)
          if (this.history[i].slug === slug) this.history.splice(i, 1);
        for (const [entry, pruned] of this.prunedHistory)
          if (pruned.slug === slug) this.prunedHistory.delete(entry);
      } else if (decision.history?.kind === 'recorded') {
        const { record, prunedThrough } = decision.history;
        if (prunedThrough !== undefined) this.prune(slug, record.env, record.key, prunedThrough);
        this.history.push({
          slug,
          env: record.env,
          key: record.key,
          version: record.version,
          value: JSON.stringify(record.value ?? null),
          description: record.description ?? null,
          secret: record.secret === true,
          event_id: record.eventId,
          change: record.change,
          created_at: new Date(record.recordedAt),
        });
      }
    }
    const { before, after, version } = decision.change;
    return { before, after, version, revision };
  }

  /**
   * Versions of this batch that are already beyond the cap are not written at all; the
   * older rows go in the batch's statement (which cannot see the rows it inserts).
   */
  private prune(slug: string, env: string, key: string, through: number): void {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const row = this.history[i];
      if (row.slug === slug && row.env === env && row.key === key && row.version <= through)
        this.history.splice(i, 1);
    }
    this.prunedHistory.set(JSON.stringify([slug, env, key]), { slug, env, key, through });
  }

  private bump(aggregate: string): number {
    const revision = (this.revisions.get(aggregate) ?? 0) + 1;
    this.revisions.set(aggregate, revision);
    this.touchedRevisions.add(aggregate);
    return revision;
  }

  /**
   * Writes the batch's net effect, with the caller's own `writes` in the same statement;
   * `commits`: that statement ends the transaction (see `commitsTransaction`).
   */
  async flush(
    trx: Trx,
    writes: Statement[],
    commits = false,
    guarded?: Omit<BatchGuard, 'revisions'> & { stamps: ReadonlyMap<string, AggregateStamp> },
  ): Promise<void> {
    const changes = {
      ...rowChangesOf(this.loaded, this.current),
      history: this.history,
      erasedHistory: [...this.erasedHistory],
      prunedHistory: [...this.prunedHistory.values()],
    };
    const stored = await writeRowChanges(
      trx,
      changes,
      {
        touched: [...this.revisions].filter(([aggregate]) => this.touchedRevisions.has(aggregate)),
        untouched: [...this.revisions]
          .filter(([, revision]) => revision === 0)
          .map(([aggregate]) => aggregate),
      },
      writes,
      commits,
      guarded && {
        ...guarded,
        revisions: [...guarded.stamps].map(([aggregate, stamp]) => ({
          aggregate,
          stamp,
          next: this.revisions.get(aggregate) ?? stamp.revision,
        })),
      },
    );
    this.takeStored(stored);
    this.loaded = new Map(this.current);
  }

  /** The caches hold what a read from PostgreSQL would answer (jsonb normalised). */
  private takeStored(stored: StoredRows): void {
    const services = new Map(stored.services.map((row) => [row.slug, toServiceResource(row)]));
    const policies = bySlug(stored.policies, (p) => `${p.type}\u0000${p.env}`);
    const config = bySlug(stored.config, (c) => `${c.env}\u0000${c.key}`);
    for (const slug of new Set([...services.keys(), ...policies.keys(), ...config.keys()])) {
      const aggregate = serviceAggregate(slug);
      const state = this.current.get(aggregate) as ServiceAggregate;
      const storedPolicies = policies.get(slug);
      const storedConfig = config.get(slug);
      this.current.set(aggregate, {
        ...state,
        ...(services.has(slug) ? { service: services.get(slug) } : {}),
        policies: storedPolicies
          ? state.policies.map((p) => {
              const row = storedPolicies.get(`${p.type}\u0000${p.env}`);
              return row ? toPolicyResource(row) : p;
            })
          : state.policies,
        config: storedConfig
          ? state.config.map((c) => {
              const row = storedConfig.get(`${c.env}\u0000${c.key}`);
              return row ? toConfigResource(row) : c;
            })
          : state.config,
      });
    }
    for (const row of stored.defaults) {
      const policy = toDefaultPolicyResource(row);
      this.current.set(defaultsAggregate(policy.type), {
        kind: 'default-policy',
        type: policy.type,
        policy,
      });
    }
  }

  /**
   * Each service the batch loaded, as it leaves it, with the stamp its row will carry
   * once the batch commits; a row the batch removes again (nothing applied) has none.
   */
  reachedStates(): { aggregate: string; stamp: AggregateStamp; state: ServiceAggregate }[] {
    const out = [];
    for (const [aggregate, state] of this.current) {
      const revision = this.revisions.get(aggregate) ?? 0;
      const incarnation = this.incarnations.get(aggregate);
      if (state.kind !== 'service' || revision === 0 || incarnation === undefined) continue;
      out.push({ aggregate, stamp: { incarnation, revision }, state });
    }
    return out;
  }

  /** The final state of every aggregate that a change reached, for the caches. */
  documents(): AggregateDocument[] {
    const out: AggregateDocument[] = [];
    for (const slug of this.changedSlugs) {
      const aggregate = serviceAggregate(slug);
      const revision = this.revisions.get(aggregate) ?? 0;
      const state = this.current.get(aggregate) as ServiceAggregate;
      const snapshot = serviceSnapshotOf(state, revision);
      out.push(
        snapshot && state.service
          ? { kind: 'service', aggregate, slug, revision, service: state.service, snapshot }
          : { kind: 'service', aggregate, slug, revision },
      );
    }
    if (this.defaultsChanged) {
      const revision = this.revisions.get(defaultsRevisionAggregate) ?? 0;
      const policies = [...this.current.values()]
        .flatMap((state) => (state.kind === 'default-policy' && state.policy ? [state.policy] : []))
        .sort((a, b) => a.type.localeCompare(b.type));
      out.push({
        kind: 'defaults',
        aggregate: defaultsRevisionAggregate,
        revision,
        defaults: { policies, revision },
      });
    }
    return out;
  }
}

/** Rows by their service, then by their key within it. */
function bySlug<R extends { slug: string }>(
  rows: R[],
  keyOf: (row: R) => string,
): Map<string, Map<string, R>> {
  const out = new Map<string, Map<string, R>>();
  for (const row of rows) {
    const group = out.get(row.slug) ?? new Map<string, R>();
    group.set(keyOf(row), row);
    out.set(row.slug, group);
  }
  return out;
}
