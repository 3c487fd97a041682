import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { TOKENS, WardenClient, WAIT } from '../support/http-client.js';
import { aService, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { SseReader } from '../support/sse-reader.js';

/** The machine is shared: a start may take longer than the default allows. */
const STARTUP = { readyTimeoutMs: 120_000 };

interface View {
  version: number;
  config: Record<string, unknown>;
  policies: Record<string, unknown>;
}

/**
 * Watch streams, long polls and delivery reports across two API instances and one
 * worker: a change written through one instance reaches watchers of the other.
 */
describe('watch: push of effective views, end to end (two api instances, one worker)', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let other: AppProcess;
  let worker: AppProcess;
  let client: WardenClient;
  let otherClient: WardenClient;
  const readers: SseReader[] = [];

  const register = async (overrides: Record<string, unknown> = {}) => {
    const service = aService(overrides);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  };
  const setConfig = async (slug: string, key: string, value: unknown, via = client) => {
    const put = await via.put(`/v1/services/${slug}/config/prod/${key}`, { value }, WAIT);
    expect([200, 201]).toContain(put.status);
  };
  const watch = async (
    app: AppProcess,
    path: string,
    headers: Record<string, string> = {},
    token: string = TOKENS.reader,
  ) => {
    const reader = await SseReader.open(`${app.baseUrl}${path}`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    readers.push(reader);
    return reader;
  };
  const views = (reader: SseReader) => reader.of<View>('view');
  const last = <T>(list: T[]): T | undefined => list[list.length - 1];

  beforeAll(async () => {
    env = await TestEnvironment.create('watch');
    const processEnv = env.processEnv({ LOG_LEVEL: 'warn', WATCH_HEARTBEAT_SECONDS: '1' });
    [api, other, worker] = await Promise.all([
      AppProcess.start('api', { ...processEnv, WATCH_MAX_PER_TOKEN: '3' }, STARTUP),
      AppProcess.start('api', processEnv, STARTUP),
      AppProcess.start('worker', processEnv, STARTUP),
    ]);
    client = new WardenClient(api.baseUrl);
    otherClient = new WardenClient(other.baseUrl);
  }, 180_000);

  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), other?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  describe('a stream of one view', () => {
    it('sends the current view, a retry hint and heartbeats, then a change made through the other instance', async () => {
      const slug = await register();
      const reader = await watch(other, `/v1/services/${slug}/effective?env=prod`);
      expect(reader.status).toBe(200);
      expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
      await eventually(() => expect(views(reader)).toHaveLength(1));
      expect(reader.events[0].retry).toBeGreaterThan(0);
      const first = reader.events[0];
      const etag = (await otherClient.get(`/v1/services/${slug}/effective?env=prod`)).headers.get(
        'etag',
      );
      expect(`"${first.id}"`).toBe(etag);

      await setConfig(slug, 'feature.checkout', true);
      await eventually(() =>
        expect(last(views(reader))?.config).toEqual({ 'feature.checkout': true }),
      );
      expect(views(reader).map((v) => v.version)).toEqual([1, 2]);
      await eventually(() => expect(reader.heartbeats).toBeGreaterThan(0), { timeoutMs: 5000 });
    });

    it('resumes with Last-Event-ID on the latest version, without a gap or a step back', async () => {
      const slug = await register();
      const first = await watch(api, `/v1/services/${slug}/effective?env=prod`, {}, TOKENS.admin);
      await eventually(() => expect(views(first)).toHaveLength(1));
      const lastSeen = last(first.events)!.id!;
      first.close();
      for (let i = 1; i <= 5; i++)
        await setConfig(slug, `key-${i}`, i, i % 2 ? client : otherClient);

      const resumed = await watch(other, `/v1/services/${slug}/effective?env=prod`, {
        'last-event-id': lastSeen,
      });
      await eventually(() => expect(last(views(resumed))?.version).toBe(6));
      expect(last(views(resumed))?.config).toEqual({
        'key-1': 1,
        'key-2': 2,
        'key-3': 3,
        'key-4': 4,
        'key-5': 5,
      });
      const versions = views(resumed).map((v) => v.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).toBe(versions.length);

      // Already holding the current view: nothing is sent until the next change.
      const current = await watch(other, `/v1/services/${slug}/effective?env=prod`, {
        'last-event-id': last(resumed.events)!.id!,
      });
      await setConfig(slug, 'key-6', 6);
      await eventually(() => expect(views(current).map((v) => v.version)).toEqual([7]));
    });

    it('says absent after a delete and sends the view again when the service is registered anew', async () => {
      const slug = await register();
      const reader = await watch(other, `/v1/services/${slug}/effective?env=prod`);
      await eventually(() => expect(views(reader)).toHaveLength(1));
      expect((await client.delete(`/v1/services/${slug}`, WAIT)).status).toBe(204);
      await eventually(() => expect(reader.of('absent')).toEqual([{ slug }]));
      await register({ slug, name: 'Checkout again' });
      await eventually(() => expect(views(reader)).toHaveLength(2));
      const [before, after] = views(reader) as (View & { service: { name: string } })[];
      expect(after.service.name).toBe('Checkout again');
      expect(after.version).toBeGreaterThan(before.version);
      expect(reader.events.map((e) => e.event)).toEqual(['view', 'absent', 'view']);
    });

    it('starts with absent for a service that does not exist yet', async () => {
      const slug = uniqueSlug();
      const reader = await watch(other, `/v1/services/${slug}/effective?env=prod`);
      await eventually(() => expect(reader.of('absent')).toEqual([{ slug }]));
      await register({ slug });
      await eventually(() => expect(views(reader)).toHaveLength(1));
    });

    it('gives a stalled reader only the latest view, and the others every change meanwhile', async () => {
      const slug = await register();
      const stalled = await watch(other, `/v1/services/${slug}/effective?env=prod`);
      const brisk = await watch(other, `/v1/services/${slug}/effective?env=prod`);
      await eventually(() => expect(views(stalled)).toHaveLength(1));
      stalled.pause();
      // Views grow by 60 KiB a change: the stalled socket's buffers fill within a few.
      const big = 'x'.repeat(60 * 1024);
      const changes = 30;
      for (let i = 1; i <= changes; i++) {
        // Accepted (202) is enough: the brisk reader's stream says when all are applied.
        await eventually(async () => {
          const put = await client.put(`/v1/services/${slug}/config/prod/blob-${i}`, {
            value: big,
          });
          expect(put.status).toBe(202);
        });
      }
      await eventually(() => expect(last(views(brisk))?.version).toBe(changes + 1));
      expect(views(stalled).length).toBeLessThan(changes);
      stalled.resume();
      await eventually(() => expect(last(views(stalled))?.version).toBe(changes + 1));
      expect(views(stalled).length).toBeLessThan(changes + 1);
    });
  });

  describe('one stream of many services', () => {
    it('sends each view, sync, then changes and absent; a global default reaches every watched view', async () => {
      const team = uniqueSlug('team');
      const [a, b] = [await register({ owner: team }), await register({ owner: team })];
      const ghost = uniqueSlug();
      const many = await watch(
        api,
        `/v1/watch?env=prod&services=${a},${b},${ghost}`,
        {},
        TOKENS.admin,
      );
      const owned = await watch(other, `/v1/watch?env=prod&owner=${team}`);
      const single = await watch(other, `/v1/services/${a}/effective?env=prod`);
      await eventually(() => expect(many.events.map((e) => e.event)).toContain('sync'));
      expect(many.events.map((e) => e.event)).toEqual(['view', 'view', 'absent', 'sync']);
      expect(
        many
          .of('view')
          .map((v: { slug: string }) => v.slug)
          .sort(),
      ).toEqual([a, b].sort());
      expect(many.of('absent')).toEqual([{ slug: ghost, env: 'prod' }]);
      expect(many.of('view')[0]).toMatchObject({ env: 'prod', etag: expect.stringMatching(/^"e/) });
      await eventually(() =>
        expect(owned.events.map((e) => e.event)).toEqual(['view', 'view', 'sync']),
      );

      const limit = { requestsPerSecond: 1000 + Math.floor(Math.random() * 1000), burst: 10 };
      expect(
        (await otherClient.put('/v1/policies/rate-limit', { spec: limit }, WAIT)).status,
      ).toBeLessThan(300);
      const hasDefault = (r: SseReader, slug: string) =>
        r
          .of<{ slug: string; view: View }>('view')
          .some(
            (e) =>
              e.slug === slug &&
              e.view.policies['rate-limit'] !== undefined &&
              (e.view.policies['rate-limit'] as typeof limit).requestsPerSecond ===
                limit.requestsPerSecond,
          );
      await eventually(() => {
        for (const r of [many, owned])
          for (const slug of [a, b]) expect(hasDefault(r, slug)).toBe(true);
        expect(last(views(single))?.policies['rate-limit']).toEqual(limit);
      });
    });
  });

  describe('long poll', () => {
    it('answers 304 at the deadline and 200 as soon as the view changes', async () => {
      const slug = await register();
      const reader = client.as('reader');
      const path = `/v1/services/${slug}/effective?env=prod`;
      const etag = (await reader.get(path)).headers.get('etag')!;
      const unchanged = await reader.get(path, { 'if-none-match': etag, prefer: 'wait=1' });
      expect(unchanged.status).toBe(304);
      expect(unchanged.headers.get('preference-applied')).toBe('wait=1');

      const held = otherClient.as('reader').get(path, { 'if-none-match': etag, prefer: 'wait=60' });
      await eventually(async () => {
        const metrics = await otherClient.as('admin').get('/metrics');
        expect(String(metrics.body)).toMatch(/warden_watch_long_polls\{[^}]*\} 1/);
      });
      await setConfig(slug, 'polled', 'yes');
      const changed = await held;
      expect(changed.status).toBe(200);
      expect(changed.headers.get('preference-applied')).toBe('wait=60');
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect(changed.body.config).toEqual({ polled: 'yes' });
    });
  });

  describe('access and limits', () => {
    it('answers 401 problem documents to streams, long polls and delivery without a valid token', async () => {
      const slug = await register();
      const path = `/v1/services/${slug}/effective?env=prod`;
      const etag = (await client.as('reader').get(path)).headers.get('etag')!;
      for (const token of ['', 'not-a-token', TOKENS.reader.slice(0, -1)]) {
        const authorization: Record<string, string> = token
          ? { authorization: `Bearer ${token}` }
          : {};
        for (const url of [path, `/v1/watch?env=prod&services=${slug}`]) {
          const reader = await SseReader.open(`${other.baseUrl}${url}`, authorization);
          readers.push(reader);
          expect({ url, token, status: reader.status }).toEqual({ url, token, status: 401 });
          expect(reader.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(reader.headers['www-authenticate']).toMatch(/^Bearer/);
          expect(reader.events).toEqual([]);
        }
        const polled = await fetch(`${other.baseUrl}${path}`, {
          headers: { ...authorization, 'if-none-match': etag, prefer: 'wait=5' },
        });
        expect(polled.status).toBe(401);
        const delivery = await fetch(
          `${other.baseUrl}/v1/services/${slug}/effective/delivery?env=prod`,
          { headers: authorization },
        );
        expect(delivery.status).toBe(401);
      }
    });

    it("answers 503 with Retry-After beyond a token's limit, and serves other tokens", async () => {
      const slug = await register();
      const path = `/v1/services/${slug}/effective?env=prod`;
      for (let i = 0; i < 3; i++) expect((await watch(api, path)).status).toBe(200);
      const refused = await watch(api, path);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBeDefined();
      expect((await watch(api, path, {}, TOKENS.writer)).status).toBe(200);
    });
  });

  describe('delivery', () => {
    it('counts the watchers on every instance that hold the current view', async () => {
      const slug = await register();
      const path = `/v1/services/${slug}/effective?env=prod`;
      const watchers = [
        await watch(api, path, {}, TOKENS.admin),
        await watch(other, path),
        await watch(other, path),
      ];
      await setConfig(slug, 'delivered', 1);
      await eventually(() => {
        for (const w of watchers) expect(last(views(w))?.config).toEqual({ delivered: 1 });
      });
      const held = `"${last(watchers[0].events)!.id!}"`;
      await eventually(async () => {
        const status = await client
          .as('reader')
          .get(`/v1/services/${slug}/effective/delivery?env=prod`);
        expect(status.status).toBe(200);
        expect(status.body).toMatchObject({ etag: held, watchers: 3, current: 3, behind: 0 });
        expect(status.body.version).toBe(last(views(watchers[0]))!.version);
        expect(status.body.instances.map((i: { watchers: number }) => i.watchers).sort()).toEqual([
          1, 2,
        ]);
      });

      // An audit entry's change, followed to its delivery: every watcher holds it.
      const audit = await client.get(`/v1/audit?aggregate=service:${slug}&type=config.set`);
      const change = String(audit.body.items[0].eventId);
      const followed = await client.get(
        `/v1/services/${slug}/effective/delivery?env=prod&event=${change}`,
      );
      expect(followed.status).toBe(200);
      expect(followed.body).toMatchObject({
        watchers: 3,
        delivered: 3,
        pending: 0,
        change: { eventId: change, aggregate: `service:${slug}`, input: 'service', revision: 2 },
      });
      const unknown = await client.get(
        `/v1/services/${slug}/effective/delivery?env=prod&event=${randomUUID()}`,
      );
      expect(unknown.status).toBe(404);
      const malformed = await client.get(
        `/v1/services/${slug}/effective/delivery?env=prod&event=latest`,
      );
      expect(malformed.status).toBe(400);
    });
  });
});
