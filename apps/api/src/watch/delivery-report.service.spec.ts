import type { Redis } from 'ioredis';
import { CacheKeys } from '#caching/cache-keys';
import type { WardenConfig } from '#config/warden-config';
import { DeliveryReport } from './delivery-report.service.js';
import type { ViewHub, ViewTopic } from './view-hub.service.js';
import type { WatchMetrics } from './watch.metrics.js';

/** A Redis that keeps hashes in memory and has no pipeline, as a cluster of many slots would refuse one. */
class HashesOnly {
  readonly hashes = new Map<string, Map<string, string>>();
  readonly commands: string[] = [];

  async hset(key: string, field: string, value: string): Promise<number> {
    this.commands.push(`hset ${key}`);
    const hash = this.hashes.get(key) ?? new Map<string, string>();
    hash.set(field, value);
    this.hashes.set(key, hash);
    return 1;
  }

  async pexpire(key: string): Promise<number> {
    this.commands.push(`pexpire ${key}`);
    return 1;
  }

  async hdel(key: string, field: string): Promise<number> {
    this.commands.push(`hdel ${key}`);
    return this.hashes.get(key)?.delete(field) ? 1 : 0;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.hashes.get(key) ?? []);
  }
}

function topic(slug: string, held: (string | undefined)[]): ViewTopic {
  return {
    slug,
    env: 'prod',
    frame: { etag: held[0] },
    subscribers: new Set(held.map((etag) => ({ held: () => etag, deliver: () => undefined }))),
  } as unknown as ViewTopic;
}

describe(DeliveryReport.name, () => {
  const keys = new CacheKeys('unit');
  const config = { watch: { deliveryTtlSeconds: 15 } } as WardenConfig;
  const metrics = { behind: { set: () => undefined } } as unknown as WatchMetrics;
  const reportOf = (topics: ViewTopic[], redis = new HashesOnly()) => ({
    redis,
    report: new DeliveryReport(
      { watched: () => topics } as unknown as ViewHub,
      metrics,
      redis as unknown as Redis,
      keys,
      config,
    ),
  });

  describe('report', () => {
    it("writes each view's entry with commands of one key each, never a pipeline across keys", async () => {
      const { redis, report } = reportOf([
        topic('checkout', ['"e2.1"', '"e2.1"']),
        topic('payments', ['"e5.1"']),
      ]);
      await report.report();
      expect(redis.commands.sort()).toEqual(
        [
          `hset ${keys.delivery('checkout', 'prod')}`,
          `pexpire ${keys.delivery('checkout', 'prod')}`,
          `hset ${keys.delivery('payments', 'prod')}`,
          `pexpire ${keys.delivery('payments', 'prod')}`,
        ].sort(),
      );
      const status = await report.status('checkout', 'prod', { etag: '"e2.1"', version: 3 });
      expect(status).toMatchObject({ watchers: 2, current: 2, behind: 0 });
    });
  });

  describe('status', () => {
    it('counts the watchers whose view includes a change of the service, and those still without it', async () => {
      const { report } = reportOf([topic('checkout', ['"e3.1"', '"e3.1"', '"e2.1"', undefined])]);
      await report.report();
      const status = await report.status(
        'checkout',
        'prod',
        { etag: '"e3.1"', version: 4 },
        { eventId: 'e', aggregate: 'service:checkout', input: 'service', revision: 3 },
      );
      expect(status).toMatchObject({ watchers: 4, current: 2, delivered: 2, pending: 2 });
      expect(status.instances).toEqual([
        { instance: report.instance, watchers: 4, current: 2, delivered: 2 },
      ]);
    });

    it('counts a change of a global default by the defaults revision in each held view', async () => {
      const { report } = reportOf([topic('checkout', ['"e3.2"', '"e2.2"', '"e3.1"'])]);
      await report.report();
      const status = await report.status(
        'checkout',
        'prod',
        { etag: '"e3.2"', version: 5 },
        { eventId: 'e', aggregate: 'defaults:quota', input: 'defaults', revision: 2 },
      );
      expect(status).toMatchObject({ watchers: 3, delivered: 2, pending: 1 });
    });

    it("counts watchers told 'absent' as having a change once the service is gone", async () => {
      const { report } = reportOf([topic('checkout', [undefined, undefined, '"e3.1"'])]);
      await report.report();
      const change = {
        eventId: 'e',
        aggregate: 'service:checkout',
        input: 'service',
        revision: 4,
      } as const;
      const gone = await report.status('checkout', 'prod', undefined, change);
      expect(gone).toMatchObject({ watchers: 3, delivered: 2, pending: 1 });
    });
  });
});
