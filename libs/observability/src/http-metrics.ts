import { Counter, Histogram, type Registry } from 'prom-client';

const UNMATCHED = '(unmatched)';

/**
 * Request rate and latency by route, recorded on every request. The labelled children
 * are looked up once per route and status and kept, so that a request costs two
 * increments rather than two label hashings (the hot read answers in tens of µs).
 */
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly counted = new Map<string, { inc(): void }>();
  private readonly timed = new Map<string, { observe(seconds: number): void }>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'warden_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'warden_http_request_duration_seconds',
      help: 'HTTP request latency, from the first hook to the response written',
      labelNames: ['method', 'route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  /** `route` is the matched route pattern (never the raw URL: bounded label values). */
  record(method: string, route: string | undefined, status: number, millis: number): void {
    const pattern = route ?? UNMATCHED;
    const routeKey = `${method} ${pattern}`;
    const statusKey = `${routeKey} ${status}`;
    let counter = this.counted.get(statusKey);
    if (!counter) {
      counter = this.requests.labels(method, pattern, String(status));
      this.counted.set(statusKey, counter);
    }
    let histogram = this.timed.get(routeKey);
    if (!histogram) {
      histogram = this.latency.labels(method, pattern);
      this.timed.set(routeKey, histogram);
    }
    counter.inc();
    histogram.observe(millis / 1000);
  }
}
