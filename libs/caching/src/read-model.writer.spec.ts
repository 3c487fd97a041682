import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { parseEnvelope, type DomainEvent } from '#domain/event-validation';
import { CatalogRepository } from '#persistence/catalog.repository';
import { ProjectionRepository } from '#persistence/projection.repository';
import { TestEnvironment, REDIS_URL } from '../../../test/support/test-environment.js';
import { BoundedMemoryStore } from './bounded-memory-store.js';
import { CacheKeys } from './cache-keys.js';
import { ReadModelLoader } from './read-model.loader.js';
import { ReadModelWriter } from './read-model.writer.js';
import { TieredCache, type L1Entry } from './tiered-cache.js';
import { VersionedRedisStore, type VersionedValue } from './versioned-redis.store.js';

/** An event as the worker sees it: built as an envelope and validated by the domain. */
function anEvent(type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent {
  const parsed = parseEnvelope(
    JSON.stringify({
      id: randomUUID(),
      type,
      aggregate: `service:${String(data.slug)}`,
      actor: 'tester',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
      data,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * The two races of the read path, staged with PostgreSQL and Redis for real: the API's
 * fill reads the record, then is held while the worker commits a change and refreshes
 * Redis, then is let go.
 */
describe(ReadModelWriter.name, () => {
  let env: TestEnvironment;
  let redis: Redis;
  let keys: CacheKeys;
  let projection: ProjectionRepository;
  let loader: ReadModelLoader;
  let store: VersionedRedisStore;
  let worker: ReadModelWriter;
  let slugCount = 0;

  const apiCache = () =>
    new TieredCache(new BoundedMemoryStore<L1Entry>('lru', 1_000, 1_000_000), store, {
      ttlMs: 60_000,
      negativeTtlMs: 5_000,
      tombstoneTtlMs: 60_000,
    });

  const register = async () => {
    const slug = `race-${++slugCount}`;
    await projection.apply(
      anEvent('service.registered', {
        slug,
        name: 'Race',
        owner: 'team-a',
        tier: 1,
        lifecycle: 'production',
      }),
    );
    return slug;
  };

  /** Starts an API read of the service whose load is held right after it read PostgreSQL. */
  const heldFill = (cache: TieredCache, slug: string) => {
    const read = gate();
    const release = gate();
    const reading = cache.get(keys.service(slug), async () => {
      const value = await loader.service(slug);
      read.open();
      await release.opened;
      return value;
    });
    return { reading, readDone: read.opened, release: release.open };
  };

  const version = (value: VersionedValue | undefined) =>
    value?.json === undefined ? undefined : (JSON.parse(value.json) as { version: number }).version;

  beforeAll(async () => {
    env = await TestEnvironment.create('cache-races');
    redis = new Redis(REDIS_URL);
    keys = new CacheKeys(env.namespace);
    projection = new ProjectionRepository(env.db);
    loader = new ReadModelLoader(new CatalogRepository(env.db));
    store = new VersionedRedisStore(redis);
    worker = new ReadModelWriter(apiCache(), keys, loader);
  });

  afterAll(async () => {
    redis?.disconnect();
    await env?.dispose();
  });

  it('a slow fill against a newer write by the worker: the newer value wins', async () => {
    const slug = await register();
    const api = apiCache();
    const fill = heldFill(api, slug);
    await fill.readDone;
    await projection.apply(anEvent('service.updated', { slug, name: 'Renamed' }));
    expect(await worker.write(`service:${slug}`)).toEqual({ written: 2, newer: 0 });
    fill.release();

    const answered = await fill.reading;
    expect(version(answered.value)).toBe(2);
    expect(version(await store.get(keys.service(slug)))).toBe(2);
    expect(version((await api.get(keys.service(slug), () => loader.service(slug))).value)).toBe(2);
  });

  it('a fill against a delete: the service stays gone', async () => {
    const slug = await register();
    const api = apiCache();
    const fill = heldFill(api, slug);
    await fill.readDone;
    await projection.apply(anEvent('service.deleted', { slug }));
    await worker.write(`service:${slug}`);
    fill.release();

    expect((await fill.reading).value.json).toBeUndefined();
    const tombstone = await store.get(keys.service(slug));
    expect(tombstone).toEqual({ revision: 2, json: undefined });
    expect(await redis.pttl(keys.service(slug))).toBeGreaterThan(50_000);
    expect(
      (await apiCache().get(keys.service(slug), () => loader.service(slug))).value.json,
    ).toBeUndefined();
  });

  it('writes a snapshot and a service resource at the same revision, and refuses to go back', async () => {
    const slug = await register();
    await projection.apply(anEvent('config.set', { slug, env: 'prod', key: 'timeout', value: 30 }));
    await worker.write(`service:${slug}`);
    const [service, snapshot] = await store.getMany([keys.service(slug), keys.snapshot(slug)]);
    expect(service?.revision).toBe(2);
    expect(snapshot?.revision).toBe(2);
    expect(JSON.parse(snapshot!.json!)).toMatchObject({
      config: [{ env: 'prod', key: 'timeout', value: 30 }],
    });
    await expect(apiCache().putL2(keys.snapshot(slug), { revision: 1, json: '{}' })).resolves.toBe(
      false,
    );
  });
});
