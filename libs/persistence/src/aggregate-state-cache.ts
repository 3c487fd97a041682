import type { ServiceAggregate } from '#domain/governance-state';

/**
 * Which committed state of an aggregate a cached copy is: its row of `aggregates` as the
 * batch's first statement locked it.
 *
 * Why the pair names one committed state (the argument the cache rests on):
 * - Every statement that writes a service's rows (services, policies, config_entries) is
 *   part of a batch of `applyBatchWithin`, whose first statement locks the aggregate's
 *   row and whose last writes the row's revision, one higher per change applied, in the
 *   same transaction. Change requests, transfers, deletes and history pruning are all
 *   changes of such a batch; nothing else in the code writes those tables.
 * - The one writer that does not count revisions up is a rebuild (`ProjectionRebuild`,
 *   `POST /admin/replay`, in whichever process): it deletes every row of `aggregates` and
 *   applies the log again from revision 0, so revisions repeat with states that may differ.
 *   But a row created again takes a new `incarnation` from a sequence, and sequences never
 *   hand out a number twice, so no state of the old row and of the new one share a stamp.
 *   The same holds for a row that a batch of rejected events created and removed again.
 * - The stamp is read from the locked row (`INSERT … ON CONFLICT DO UPDATE … RETURNING`
 *   answers the newest committed row even when the statement's snapshot is older), and the
 *   lock holds until the batch ends, so the state the batch reads cannot change under it.
 * Not covered: restoring the database from a backup under running workers (a sequence goes
 * back with it); restart the workers after a restore.
 */
export interface AggregateStamp {
  incarnation: number;
  revision: number;
}

interface CachedState {
  stamp: AggregateStamp;
  state: ServiceAggregate;
  /** What the state counts against the cap: the service and each policy and entry. */
  weight: number;
}

export interface AggregateCacheStats {
  aggregates: number;
  resources: number;
  hits: number;
  misses: number;
}

/**
 * The worker's copies of the service aggregates it applied, each as of one committed
 * stamp (see `AggregateStamp`), so that a batch reads from PostgreSQL only what another
 * applier may have changed. Least recently used copies go first once the copies hold more
 * than `maxResources` resources; 0 turns the cache off. A copy is frozen when it enters: a
 * state is shared by every batch that finds it, and a change in place would leak into the
 * next batch without a revision to tell (the rules build new objects, so none is needed).
 * Of the history only each entry's last version is kept (a change of the entry numbers
 * its next version from it); the versions a rollback may return to are read each time.
 */
export class AggregateStateCache {
  private readonly states = new Map<string, CachedState>();
  private resources = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxResources: number) {}

  /** The states one batch reads, and what it hands back once it has committed. */
  begin(): AggregateStatesOfBatch {
    return new AggregateStatesOfBatch(this);
  }

  stats(): AggregateCacheStats {
    return {
      aggregates: this.states.size,
      resources: this.resources,
      hits: this.hits,
      misses: this.misses,
    };
  }

  clear(): void {
    this.states.clear();
    this.resources = 0;
  }

  /** The copy of `aggregate` as of `stamp`, or nothing; a copy of another stamp is dropped. */
  find(aggregate: string, stamp: AggregateStamp): ServiceAggregate | undefined {
    const cached = this.states.get(aggregate);
    if (cached && sameStamp(cached.stamp, stamp)) {
      // Map order is the recency order: the hit moves to the end.
      this.states.delete(aggregate);
      this.states.set(aggregate, cached);
      this.hits++;
      return cached.state;
    }
    this.misses++;
    if (cached) this.forget(aggregate);
    return undefined;
  }

  /** The stamp of the copy held of `aggregate`, if any (not a lookup: it counts neither way). */
  stampOf(aggregate: string): AggregateStamp | undefined {
    return this.states.get(aggregate)?.stamp;
  }

  /** Keeps `state` as of `stamp`, unless a newer state of the same row is kept already. */
  admit(aggregate: string, stamp: AggregateStamp, state: ServiceAggregate): void {
    if (this.maxResources === 0) return;
    const cached = this.states.get(aggregate);
    // Two batches of one process commit in lock order but may hand back in either order.
    if (
      cached &&
      cached.stamp.incarnation === stamp.incarnation &&
      cached.stamp.revision >= stamp.revision
    )
      return;
    if (cached) this.forget(aggregate);
    const weight = 1 + state.policies.length + state.config.length + state.history.length;
    if (weight > this.maxResources) return;
    // Of the history, each entry's last version only: what a change of the entry reads
    // (its next version), without the values that a rollback loads anyway.
    const kept = state.history.every((lineage) => lineage.versions.length === 0)
      ? state
      : {
          ...state,
          history: state.history.map(({ env, key, lastVersion }) => ({
            env,
            key,
            lastVersion,
            versions: [],
          })),
        };
    this.states.set(aggregate, { stamp, state: deepFreeze(kept), weight });
    this.resources += weight;
    for (const [oldest, entry] of this.states) {
      if (this.resources <= this.maxResources) break;
      this.states.delete(oldest);
      this.resources -= entry.weight;
    }
  }

  forget(aggregate: string): void {
    const cached = this.states.get(aggregate);
    if (!cached) return;
    this.states.delete(aggregate);
    this.resources -= cached.weight;
  }
}

/**
 * One batch's side of the cache: what it found there, and the states it reached, which
 * enter only after its transaction committed. A batch that fails drops every aggregate it
 * looked up, whatever the reason (a rollback of a commit that did happen costs one load).
 */
export class AggregateStatesOfBatch {
  private readonly looked = new Set<string>();
  private readonly reached = new Map<string, { stamp: AggregateStamp; state: ServiceAggregate }>();

  constructor(private readonly cache: AggregateStateCache) {}

  find(aggregate: string, stamp: AggregateStamp): ServiceAggregate | undefined {
    this.looked.add(aggregate);
    return this.cache.find(aggregate, stamp);
  }

  /**
   * The stamp of the copy held of `aggregate`: a batch that decides on it before locking
   * anything (see `optimistic-apply`) checks it when it writes.
   */
  stampOf(aggregate: string): AggregateStamp | undefined {
    this.looked.add(aggregate);
    return this.cache.stampOf(aggregate);
  }

  /** The state the batch leaves `aggregate` in, at `stamp`, if it commits. */
  reach(aggregate: string, stamp: AggregateStamp, state: ServiceAggregate): void {
    this.looked.add(aggregate);
    this.reached.set(aggregate, { stamp, state });
  }

  committed(): void {
    for (const [aggregate, { stamp, state }] of this.reached)
      this.cache.admit(aggregate, stamp, state);
  }

  abandoned(): void {
    for (const aggregate of this.looked) this.cache.forget(aggregate);
  }
}

function sameStamp(a: AggregateStamp, b: AggregateStamp): boolean {
  return a.incarnation === b.incarnation && a.revision === b.revision;
}

/** Freezes what is not frozen yet; a state shares most of its objects with the one before. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
  return value;
}
