import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the default process metrics. */
export function createRegistry(app: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The steps of one write, each timed from the end of the step before it: `appended`
 * (accepted by the API → acknowledged by Kafka), `fetched` (Kafka's message timestamp →
 * the worker's handler has the run), `committed` (→ the PostgreSQL transaction
 * committed), `cached` (→ Redis written), `announced` (→ the outcome published) and
 * `dropped` (the worker's announce time → this API instance dropped its copies).
 */
export type WriteStage = 'appended' | 'fetched' | 'committed' | 'cached' | 'announced' | 'dropped';

export const WRITE_STAGE_METRIC = 'warden_write_stage_seconds';

/** One histogram for every stage; API and worker each record the stages they see. */
export class WriteStages {
  private readonly histogram: Histogram<'stage'>;

  constructor(registry: Registry) {
    this.histogram = new Histogram({
      name: WRITE_STAGE_METRIC,
      help: 'Time spent in each step of a write (see docs/operations.md)',
      labelNames: ['stage'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    });
  }

  /** Milliseconds between two wall-clock instants; the processes share one clock, but a
   * negative difference (clock steps, rounding) counts as none. */
  observe(stage: WriteStage, fromMs: number, toMs: number, times = 1): void {
    const seconds = Math.max(0, toMs - fromMs) / 1000;
    const child = this.histogram.labels(stage);
    for (let i = 0; i < times; i++) child.observe(seconds);
  }
}

/** Cache hits and misses per tier, as plain counts (see `apiMetrics`). */
export interface CacheCounts {
  hits: Record<'l1' | 'l2' | 'db', number>;
  misses: Record<'l1' | 'l2', number>;
}

export function apiMetrics(registry: Registry) {
  // Counted as plain numbers and handed to prom-client only when /metrics is scraped: a
  // labelled child's `inc` hashes its labels on every call, and every hot read is a hit.
  const cacheCounts: CacheCounts = { hits: { l1: 0, l2: 0, db: 0 }, misses: { l1: 0, l2: 0 } };
  const collectFrom = (counts: Record<string, number>) =>
    function (this: Counter<'tier'>) {
      this.reset();
      for (const [tier, count] of Object.entries(counts)) if (count > 0) this.inc({ tier }, count);
    };
  return {
    writeStages: new WriteStages(registry),
    cacheCounts,
    cacheHits: new Counter({
      name: 'warden_cache_hits_total',
      help: 'Cache hits per tier (l1 memory, l2 redis, db the record)',
      labelNames: ['tier'] as const,
      registers: [registry],
      collect: collectFrom(cacheCounts.hits),
    }),
    cacheMisses: new Counter({
      name: 'warden_cache_misses_total',
      help: 'Cache misses per tier',
      labelNames: ['tier'] as const,
      registers: [registry],
      collect: collectFrom(cacheCounts.misses),
    }),
    propagation: new Histogram({
      name: 'warden_propagation_delay_seconds',
      help: 'From the event being accepted to this instance hearing it was applied',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export function workerMetrics(registry: Registry) {
  const events = new Counter({
    name: 'warden_events_total',
    help: 'Events by outcome: consumed, applied, rejected, duplicate, dead-lettered',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    events,
    writeStages: new WriteStages(registry),
    retries: new Counter({
      name: 'warden_event_retries_total',
      help: 'Retries of an event after a failure',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'warden_consumer_lag',
      help: 'Messages between the committed offset and the end of each partition',
      labelNames: ['partition'] as const,
      registers: [registry],
    }),
    runEvents: new Histogram({
      name: 'warden_worker_run_events',
      help: 'Events per applied run, one transaction each; runs of several partitions merge while others apply',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    applyLatency: new Histogram({
      name: 'warden_event_apply_seconds',
      help: 'Time to apply one event (transaction, cache refresh, announcements)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

/** What the worker's copies of the aggregates hold and how often they served; read at each scrape. */
export function aggregateCacheMetrics(
  registry: Registry,
  stats: () => { aggregates: number; resources: number; hits: number; misses: number },
): void {
  new Gauge({
    name: 'warden_worker_aggregate_cache_resources',
    help: 'Services, policies and configuration entries the worker keeps of the aggregates it applied',
    registers: [registry],
    collect() {
      this.set(stats().resources);
    },
  });
  new Counter({
    name: 'warden_worker_aggregate_cache_lookups_total',
    help: 'Aggregates a run found at the locked revision in the worker (hit) or read from PostgreSQL (miss)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const { hits, misses } = stats();
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
}
