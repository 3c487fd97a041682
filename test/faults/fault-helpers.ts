import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Database } from '#persistence/database';
import { CacheKeys } from '#caching/cache-keys';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService } from '../support/builders.js';

/** What the writers saw: every 202 with its event id, every refusal. */
export interface WriteRecord {
  slug: string;
  /** The value written: unique and growing per writer, so history shows the order. */
  value: number;
  eventId: string;
}

/**
 * Writers that each own one service and set its `counter` entry to 0, 1, 2, … one
 * write after the other, as a client would: a `503` is retried after a short pause (the
 * `Retry-After` it carries is checked, not waited out, to keep the test short).
 */
export class CounterWriters {
  readonly accepted: WriteRecord[] = [];
  refused = 0;
  refusedWithoutRetryAfter = 0;
  /** Requests that failed without an answer (connection refused or reset). */
  unanswered = 0;
  readonly unexpected: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly client: WardenClient,
    readonly slugs: string[],
  ) {}

  /** Registers `count` services (and waits until they are applied). */
  static async register(client: WardenClient, count: number): Promise<CounterWriters> {
    const slugs = await Promise.all(
      Array.from({ length: count }, async () => {
        const service = aService();
        const created = await client.post('/v1/services', service, WAIT);
        if (created.status !== 201)
          throw new Error(
            `registration answered ${created.status}: ${JSON.stringify(created.body)}`,
          );
        return String(service.slug);
      }),
    );
    return new CounterWriters(client, slugs);
  }

  /** Starts every writer; each stops after `perWriter` accepted writes or at `stop()`. */
  start(perWriter = Infinity, pacing: { pauseMs?: number } = {}): void {
    this.running = true;
    this.loops = this.slugs.map((slug) => this.write(slug, perWriter, pacing.pauseMs ?? 0));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves when every writer reached its count. */
  finished(): Promise<void> {
    return Promise.all(this.loops).then(() => undefined);
  }

  private async write(slug: string, perWriter: number, pauseMs: number): Promise<void> {
    let value = 0;
    let done = 0;
    while (this.running && done < perWriter) {
      value += 1;
      try {
        const answer = await this.client.put(`/v1/services/${slug}/config/prod/counter`, { value });
        if (answer.status === 202) {
          this.accepted.push({ slug, value, eventId: answer.body.eventId });
          done += 1;
          if (pauseMs > 0) await pause(pauseMs);
        } else if (answer.status === 503) {
          this.refused += 1;
          if (!/^\d+$/.test(answer.headers.get('retry-after') ?? ''))
            this.refusedWithoutRetryAfter += 1;
          await pause(100);
        } else {
          this.unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        }
      } catch {
        this.unanswered += 1;
        await pause(100);
      }
    }
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The applied `counter` history of each service, oldest first. */
export async function counterHistory(db: Database, slugs: string[]) {
  const rows = await db
    .selectFrom('config_history')
    .select(['slug', 'version', 'value', 'event_id'])
    .where('slug', 'in', slugs)
    .where('key', '=', 'counter')
    .orderBy('slug')
    .orderBy('version')
    .execute();
  const bySlug = new Map<string, { version: number; value: number; eventId: string }[]>(
    slugs.map((s) => [s, []]),
  );
  for (const row of rows)
    bySlug
      .get(row.slug)!
      .push({ version: row.version, value: row.value as number, eventId: row.event_id });
  return bySlug;
}

/** How many of `eventIds` the worker has applied so far. */
export async function appliedCount(db: Database, eventIds: string[]): Promise<number> {
  let applied = 0;
  for (let i = 0; i < eventIds.length; i += 5000) {
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM processed_events
      WHERE status = 'applied' AND id IN (${sql.join(eventIds.slice(i, i + 5000))})
    `.execute(db);
    applied += Number(rows[0].n);
  }
  return applied;
}

/**
 * Every accepted write is applied exactly once and in order: each service's history is
 * versions 1..n, with values growing in the order they were written, one audit entry per
 * applied event, and nothing applied that was not written.
 */
export async function expectAppliedExactlyOnceInOrder(
  db: Database,
  writers: CounterWriters,
): Promise<{ phantoms: number }> {
  const history = await counterHistory(db, writers.slugs);
  const acceptedIds = new Set(writers.accepted.map((w) => w.eventId));
  let phantoms = 0;
  for (const [slug, entries] of history) {
    expect(entries.map((e) => e.version)).toEqual(entries.map((_, i) => i + 1));
    const values = entries.map((e) => e.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    const accepted = writers.accepted.filter((w) => w.slug === slug).map((w) => w.value);
    expect(values).toEqual(expect.arrayContaining(accepted));
    phantoms += entries.filter((e) => !acceptedIds.has(e.eventId)).length;
  }
  const { rows } = await sql<{ entries: string; events: string }>`
    SELECT count(*) AS entries, count(DISTINCT event_id) AS events FROM audit_log
    WHERE type = 'config.set' AND aggregate IN (${sql.join(writers.slugs.map((s) => `service:${s}`))})
  `.execute(db);
  const applied = [...history.values()].reduce((n, entries) => n + entries.length, 0);
  expect(Number(rows[0].entries)).toBe(applied);
  expect(Number(rows[0].events)).toBe(applied);
  return { phantoms };
}

/** Log lines of a process, parsed (pino writes one JSON object per line). */
export function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** The app processes a spec started, so that all of them are stopped however it ends. */
export class Apps {
  private readonly running = new Set<AppProcess>();

  async start(name: 'api' | 'worker', env: Record<string, string>): Promise<AppProcess> {
    const app = await AppProcess.start(name, env);
    this.running.add(app);
    return app;
  }

  async both(env: Record<string, string>): Promise<{ api: AppProcess; worker: AppProcess }> {
    const [api, worker] = await Promise.allSettled([
      this.start('api', env),
      this.start('worker', env),
    ]);
    if (api.status === 'rejected' || worker.status === 'rejected') {
      await this.stopAll();
      throw [api, worker].flatMap((s) => (s.status === 'rejected' ? [s.reason] : []))[0];
    }
    return { api: api.value, worker: worker.value };
  }

  async stop(app: AppProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.running.delete(app);
    return app.stop(signal);
  }

  async stopAll(): Promise<void> {
    const all = [...this.running];
    this.running.clear();
    await Promise.all(all.map((app) => app.stop()));
  }
}

export function isAlive(app: AppProcess): boolean {
  try {
    process.kill(app.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Services whose cached copies in Redis (the resource and the snapshot) are not at the
 * revision PostgreSQL holds: the caches have caught up when this is empty.
 */
export async function staleCachedServices(
  redis: Redis,
  db: Database,
  namespace: string,
  slugs: string[],
): Promise<string[]> {
  const revisions = new Map(
    (
      await db
        .selectFrom('aggregates')
        .select(['aggregate', 'revision'])
        .where(
          'aggregate',
          'in',
          slugs.map((s) => `service:${s}`),
        )
        .execute()
    ).map((r) => [r.aggregate.slice('service:'.length), Number(r.revision)]),
  );
  const stale: string[] = [];
  for (const slug of slugs) {
    const keys = new CacheKeys(namespace);
    const [service, snapshot] = await Promise.all(
      [keys.service(slug), keys.snapshot(slug)].map((key) => redis.hget(key, 'r')),
    );
    const expected = String(revisions.get(slug) ?? 0);
    if (service !== expected || snapshot !== expected) stale.push(slug);
  }
  return stale;
}

/**
 * For the apps of a suite that reads every version of an entry back: the history of a key
 * is kept whole (the default cap prunes the oldest versions beyond 100).
 */
export const WHOLE_HISTORY = { WARDEN_MAX_VERSIONS_PER_KEY: '1000000' } as const;
