/** The steps of a write in the order they happen (see `WriteStages` in libs/observability). */
export const STAGES = ['appended', 'fetched', 'committed', 'cached', 'announced', 'dropped'];

const METRIC = 'warden_write_stage_seconds_bucket';

/** Cumulative bucket counts per stage: stage → upper bound (s, Infinity last) → count. */
export type StageBuckets = Map<string, Map<number, number>>;

export interface StageQuantiles {
  stage: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** Scrapes the stage histograms of several processes and adds them up. */
export async function scrapeStages(
  sources: { url: string; headers?: Record<string, string> }[],
): Promise<StageBuckets> {
  const texts = await Promise.all(
    sources.map(async ({ url, headers }) => {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    }),
  );
  const total: StageBuckets = new Map();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(METRIC)) continue;
      const stage = /stage="([^"]+)"/.exec(line)?.[1];
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const count = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!stage || !le || !Number.isFinite(count)) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      const buckets = total.get(stage) ?? new Map<number, number>();
      buckets.set(bound, (buckets.get(bound) ?? 0) + count);
      total.set(stage, buckets);
    }
  }
  return total;
}

/** What was observed between two scrapes of the same processes. */
export function stageDelta(after: StageBuckets, before: StageBuckets): StageBuckets {
  const delta: StageBuckets = new Map();
  for (const [stage, buckets] of after) {
    const earlier = before.get(stage);
    delta.set(
      stage,
      new Map([...buckets].map(([le, count]) => [le, count - (earlier?.get(le) ?? 0)])),
    );
  }
  return delta;
}

/**
 * The `q` quantile of a cumulative histogram, interpolated linearly inside the bucket
 * that holds it (as Prometheus's `histogram_quantile` does); in the open last bucket the
 * largest finite bound is all one can say.
 */
export function bucketQuantile(buckets: Map<number, number>, q: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const cumulative = buckets.get(bound) ?? 0;
    if (cumulative >= rank) {
      if (bound === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket === 0 ? bound : lower + ((bound - lower) * (rank - below)) / inBucket;
    }
    lower = bound;
    below = cumulative;
  }
  return lower;
}

export function stageQuantiles(buckets: StageBuckets): StageQuantiles[] {
  return STAGES.map((stage) => {
    const histogram = buckets.get(stage) ?? new Map<number, number>();
    return {
      stage,
      count: histogram.get(Infinity) ?? 0,
      p50Ms: Math.round(bucketQuantile(histogram, 0.5) * 10_000) / 10,
      p99Ms: Math.round(bucketQuantile(histogram, 0.99) * 10_000) / 10,
    };
  });
}

const STAGE_MEANING: Record<string, string> = {
  appended: 'accepted by the API → acknowledged by Kafka (API)',
  fetched: 'Kafka timestamp → the worker handles the run (worker)',
  committed: '→ PostgreSQL transaction committed (worker)',
  cached: '→ Redis written (worker)',
  announced: '→ outcome published on Redis (worker)',
  dropped: 'announced → dropped from an API instance’s memory (both APIs)',
};

/** One markdown table per propagation run: where its p50 and p99 went. */
export function stagesMarkdown(title: string, quantiles: StageQuantiles[]): string {
  return [
    `| ${title}: stage | observations | p50 ms | p99 ms |`,
    '|---|---|---|---|',
    ...quantiles.map(
      (q) => `| \`${q.stage}\`: ${STAGE_MEANING[q.stage]} | ${q.count} | ${q.p50Ms} | ${q.p99Ms} |`,
    ),
  ].join('\n');
}
