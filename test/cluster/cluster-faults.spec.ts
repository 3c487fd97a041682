import { CacheKeys } from '#caching/cache-keys';
import { TestEnvironment } from '../support/test-environment.js';
import type { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import { aService } from '../support/builders.js';
import { PrivateCluster, redisCli } from '../support/private-cluster.js';
import { SseReader } from '../support/sse-reader.js';
import {
  Apps,
  CounterWriters,
  appliedCount,
  counterHistory,
  expectAppliedExactlyOnceInOrder,
  WHOLE_HISTORY,
} from '../faults/fault-helpers.js';

const WRITERS_PER_API = 8;
/** Accepted writes to wait for between two faults: enough to cross each one under load. */
const STEP = 120;

/** The port of the live master that serves `key`'s slot, as the node on `askPort` sees it. */
function masterOf(key: string, askPort: number): number {
  const slot = Number(redisCli(askPort, 'cluster', 'keyslot', key));
  for (const line of redisCli(askPort, 'cluster', 'nodes').split('\n')) {
    const [, address, flags, , , , , state, ...ranges] = line.split(' ');
    if (!flags.includes('master') || flags.includes('fail') || state !== 'connected') continue;
    const serves = ranges.some((range) => {
      const [from, to = from] = range.split('-').map(Number);
      return from <= slot && slot <= to;
    });
    if (serves) return Number(address.split(':')[1].split('@')[0]);
  }
  throw new Error(`no live master serves slot ${slot} (asked ${askPort})`);
}

describe('cluster: three Kafka brokers, a Redis Cluster, two APIs and two workers under faults', () => {
  let cluster: PrivateCluster;
  let env: TestEnvironment;
  const apps = new Apps();
  let apis: AppProcess[];
  let workers: AppProcess[];

  beforeAll(async () => {
    cluster = await PrivateCluster.start();
    env = await TestEnvironment.create('cluster', {
      kafkaBrokers: cluster.kafkaBrokers,
      redisClusterNodes: cluster.redisClusterNodes,
    });
    const processEnv = env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY });
    // Two at a time: four Node processes starting at once on two loaded cores may each
    // take longer than the readiness bound.
    apis = await Promise.all([apps.start('api', processEnv), apps.start('api', processEnv)]);
    workers = await Promise.all([
      apps.start('worker', processEnv),
      apps.start('worker', processEnv),
    ]);
  }, 360_000);

  afterAll(async () => {
    await apps.stopAll();
    await env?.dispose().catch(() => undefined);
    await cluster?.dispose();
  }, 120_000);

  it('applies every 202 exactly once across a broker, a Redis master and a worker killed with -9, and every cache converges', async () => {
    const clients = apis.map((api) => new WardenClient(api.baseUrl));
    const groups = await Promise.all(
      clients.map((client) => CounterWriters.register(client, WRITERS_PER_API)),
    );
    const accepted = () => groups.reduce((n, g) => n + g.accepted.length, 0);
    const progress = async (writes: number) => {
      const target = accepted() + writes;
      await eventually(() => expect(accepted()).toBeGreaterThanOrEqual(target), {
        timeoutMs: 90_000,
        intervalMs: 200,
      });
    };
    for (const group of groups) group.start(Infinity, { pauseMs: 20 });
    await progress(STEP);

    // 1. The leader of the busiest partition of the event log dies.
    const admin = env.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(env.topics.Events);
    const busiest = offsets.reduce((a, b) => (Number(b.high) > Number(a.high) ? b : a));
    const metadata = await admin.fetchTopicMetadata({ topics: [env.topics.Events] });
    await admin.disconnect();
    const leader = metadata.topics[0].partitions.find(
      (p) => p.partitionId === busiest.partition,
    )!.leader;
    process.kill(await cluster.kafkaPid(leader), 'SIGKILL');
    await progress(STEP);

    // 2. The Redis master that carries the outcome announcements dies; its replica takes over.
    const channel = new CacheKeys(env.namespace).outcomesChannel();
    const ports = cluster.redisClusterNodes.split(',').map((n) => Number(n.split(':')[1]));
    const doomed = masterOf(channel, ports[0]);
    const witness = ports.find((p) => p !== doomed)!;
    process.kill(cluster.redisPid(doomed), 'SIGKILL');
    await eventually(() => expect(masterOf(channel, witness)).not.toBe(doomed), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await progress(STEP);

    // 3. A worker dies; the other one takes over its partitions.
    await apps.stop(workers[0], 'SIGKILL');
    await progress(STEP);
    await Promise.all(groups.map((g) => g.stop()));

    // No answer but 202 and the documented 503 (with Retry-After); no request unanswered.
    for (const group of groups) {
      expect(group.unexpected).toEqual([]);
      expect(group.unanswered).toBe(0);
      expect(group.refusedWithoutRetryAfter).toBe(0);
    }

    // Every 202 is applied exactly once, in order: versions count the applied writes.
    const ids = groups.flatMap((g) => g.accepted.map((w) => w.eventId));
    await eventually(async () => expect(await appliedCount(env.db, ids)).toBe(ids.length), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    for (const group of groups) {
      const { phantoms } = await expectAppliedExactlyOnceInOrder(env.db, group);
      // A 503 after an ambiguous broker failure may still have been written: never more.
      expect(phantoms).toBeLessThanOrEqual(group.refused);
    }

    // Both APIs answer each service's last version, and neither auditor finds a stale entry.
    const slugs = groups.flatMap((g) => g.slugs);
    const history = await counterHistory(env.db, slugs);
    await eventually(
      async () => {
        for (const client of clients) {
          for (const slug of slugs) {
            const entries = history.get(slug)!;
            const last = entries[entries.length - 1];
            const read = await client.as('reader').get(`/v1/services/${slug}/config/prod/counter`);
            expect({ slug, status: read.status, version: read.body.version }).toEqual({
              slug,
              status: 200,
              version: last.version,
            });
            expect(read.body.value).toBe(last.value);
          }
          const audit = await client.as('admin').get('/admin/consistency');
          expect(audit.status).toBe(200);
          expect(audit.body).toMatchObject({ stale: 0, missing: 0 });
          expect(audit.body.checked).toBeGreaterThanOrEqual(slugs.length * 2);
        }
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    // A `Prefer: wait` write is answered by either API once the surviving worker applied it.
    const service = aService();
    const registered = await clients[1].post('/v1/services', service, WAIT);
    expect(registered.status).toBe(201);
    const set = await clients[0].put(
      `/v1/services/${String(service.slug)}/config/prod/flag`,
      { value: true },
      WAIT,
    );
    expect([200, 201]).toContain(set.status);
    expect(set.body).toMatchObject({ value: true, version: 1 });
    const seen = await clients[1].get(`/v1/services/${String(service.slug)}/config/prod/flag`);
    expect(seen.body).toMatchObject({ value: true, version: 1 });

    // Each API reports its watchers of several views, whose keys lie in different slots.
    const watched = [String(service.slug), ...slugs.slice(0, 3)];
    const streams = await Promise.all(
      apis.flatMap((api) =>
        watched.map((slug) =>
          SseReader.open(`${api.baseUrl}/v1/services/${slug}/effective?env=prod`, {
            authorization: 'Bearer dev-reader',
          }),
        ),
      ),
    );
    try {
      await eventually(
        async () => {
          for (const slug of watched) {
            const delivery = await clients[0]
              .as('reader')
              .get(`/v1/services/${slug}/effective/delivery?env=prod`);
            expect({ slug, ...delivery.body }).toMatchObject({ slug, watchers: 2, current: 2 });
          }
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      for (const stream of streams) stream.close();
    }
  }, 420_000);
});
