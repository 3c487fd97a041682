import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.js';

describe(HttpMetrics.name, () => {
  describe('record', () => {
    it('counts requests by method, route and status and times them by route on /metrics', async () => {
      const registry = new Registry();
      const metrics = new HttpMetrics(registry);
      const route = '/v1/services/:slug/effective';
      metrics.record('GET', route, 200, 0.3);
      metrics.record('GET', route, 200, 3);
      metrics.record('GET', route, 304, 700);
      metrics.record('PUT', undefined, 404, 0.1);
      const text = await registry.metrics();
      const line = (start: string) => text.split('\n').find((l) => l.startsWith(start));
      expect(text).toContain('# TYPE warden_http_requests_total counter');
      expect(text).toContain('# TYPE warden_http_request_duration_seconds histogram');
      expect(
        line(`warden_http_requests_total{method="GET",route="${route}",status="200"}`),
      ).toMatch(/ 2$/);
      expect(
        line(`warden_http_requests_total{method="GET",route="${route}",status="304"}`),
      ).toMatch(/ 1$/);
      expect(
        line('warden_http_requests_total{method="PUT",route="(unmatched)",status="404"}'),
      ).toMatch(/ 1$/);
      const bucket = (le: string) =>
        line(
          `warden_http_request_duration_seconds_bucket{method="GET",route="${route}",le="${le}"}`,
        );
      expect(bucket('0.0005')).toMatch(/ 1$/);
      expect(bucket('0.005')).toMatch(/ 2$/);
      expect(bucket('0.5')).toMatch(/ 2$/);
      expect(bucket('1')).toMatch(/ 3$/);
      expect(bucket('+Inf')).toMatch(/ 3$/);
      expect(
        line(`warden_http_request_duration_seconds_count{method="GET",route="${route}"}`),
      ).toMatch(/ 3$/);
      const sum = Number(
        line(`warden_http_request_duration_seconds_sum{method="GET",route="${route}"}`)!.split(
          ' ',
        )[1],
      );
      expect(sum).toBeCloseTo(0.7033, 6);
    });
  });
});
