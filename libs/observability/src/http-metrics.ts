import type { Metric, MetricValue, Registry } from 'prom-client';

const UNMATCHED = '(unmatched)';
const REQUESTS = 'warden_http_requests_total';
const LATENCY = 'warden_http_request_duration_seconds';
const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One (method, route): its requests by status and its latency histogram. */
interface RouteSeries {
  method: string;
  route: string;
  byStatus: Map<number, number>;
  /** Observations per bucket (not cumulative), the last one above every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** The shape prom-client's registry reads from any metric it serialises. */
interface CollectedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue<string>[];
  aggregator: 'sum';
}

/**
 * Request rate and latency by route, recorded on every request. prom-client's own
 * labelled children validate and hash their labels on every `inc` and `observe`, which
 * costs more than the rest of a hot read's Warden code together; here a request costs
 * two map lookups, an increment and a bucket search, and the series are put into
 * Prometheus's form only when `/metrics` is scraped.
 */
export class HttpMetrics {
  private readonly routes = new Map<string, Map<string, RouteSeries>>();

  constructor(registry: Registry) {
    registry.registerMetric(
      this.metric(REQUESTS, 'HTTP requests by route and status', 'counter', () =>
        this.requestValues(),
      ) as unknown as Metric,
    );
    registry.registerMetric(
      this.metric(
        LATENCY,
        'HTTP request latency, from the first hook to the response written',
        'histogram',
        () => this.latencyValues(),
      ) as unknown as Metric,
    );
  }

  /** `route` is the matched route pattern (never the raw URL: bounded label values). */
  record(method: string, route: string | undefined, status: number, millis: number): void {
    const pattern = route ?? UNMATCHED;
    let byMethod = this.routes.get(pattern);
    if (!byMethod) this.routes.set(pattern, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (!series) {
      series = {
        method,
        route: pattern,
        byStatus: new Map(),
        buckets: new Float64Array(BOUNDS.length + 1),
        sum: 0,
        count: 0,
      };
      byMethod.set(method, series);
    }
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    const seconds = millis / 1000;
    let bucket = 0;
    while (bucket < BOUNDS.length && seconds > BOUNDS[bucket]) bucket++;
    series.buckets[bucket]++;
    series.sum += seconds;
    series.count++;
  }

  private *series(): Iterable<RouteSeries> {
    for (const byMethod of this.routes.values()) yield* byMethod.values();
  }

  private requestValues(): MetricValue<string>[] {
    const values: MetricValue<string>[] = [];
    for (const { method, route, byStatus } of this.series()) {
      for (const [status, count] of byStatus)
        values.push({ labels: { method, route, status: String(status) }, value: count });
    }
    return values;
  }

  private latencyValues(): MetricValue<string>[] {
    const values: (MetricValue<string> & { metricName: string })[] = [];
    for (const { method, route, buckets, sum, count } of this.series()) {
      let cumulative = 0;
      BOUNDS.forEach((bound, i) => {
        cumulative += buckets[i];
        values.push({
          metricName: `${LATENCY}_bucket`,
          labels: { method, route, le: bound },
          value: cumulative,
        });
      });
      values.push(
        { metricName: `${LATENCY}_bucket`, labels: { method, route, le: '+Inf' }, value: count },
        { metricName: `${LATENCY}_sum`, labels: { method, route }, value: sum },
        { metricName: `${LATENCY}_count`, labels: { method, route }, value: count },
      );
    }
    return values;
  }

  private metric(
    name: string,
    help: string,
    type: CollectedMetric['type'],
    values: () => MetricValue<string>[],
  ) {
    const collected = (): CollectedMetric => ({
      name,
      help,
      type,
      values: values(),
      aggregator: 'sum',
    });
    return {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: () => Promise.resolve(collected()),
      reset: () => this.routes.clear(),
    };
  }
}
