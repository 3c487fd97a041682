/** One Prometheus histogram read from the text exposition format. */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** Sums a histogram's series over their labels (e.g. several instances or types). */
export function parseHistogram(text: string, name: string): Histogram | undefined {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const match = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, metric, labels = '', rawValue] = match;
    const value = Number(rawValue);
    if (metric === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
      seen = true;
    } else if (metric === `${name}_sum`) sum += value;
    else if (metric === `${name}_count`) count += value;
  }
  if (!seen) return undefined;
  return {
    buckets: [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([le, c]) => ({ le, count: c })),
    sum,
    count,
  };
}

/** The per-bucket counts (not cumulative) with a label for each range. */
export function bucketCounts(histogram: Histogram): Array<{ label: string; count: number }> {
  let previous = 0;
  let lower = 0;
  return histogram.buckets.map(({ le, count }) => {
    const label = le === Infinity ? `> ${ms(lower)}` : `≤ ${ms(le)}`;
    const own = count - previous;
    previous = count;
    lower = le;
    return { label, count: own };
  });
}

/** The value under which a fraction of observations fall, by the bucket bounds. */
export function quantileBound(histogram: Histogram, fraction: number): number | undefined {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  return histogram.buckets.find((b) => b.count >= total * fraction)?.le;
}

export function ms(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds} s`;
}
