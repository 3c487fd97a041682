import fc from 'fast-check';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { TOKENS, WardenClient, WAIT } from '../support/http-client.js';
import { aService } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import {
  MUTATIONS,
  isStreamRoute,
  operationsOf,
  render,
  requestArbitrary,
  type Attack,
  type OpenApiDocument,
  type Operation,
} from '../support/openapi-arbitraries.js';

/**
 * Requests generated from the API's own OpenAPI document, in two phases. First only
 * requests that the contract forbids (an unknown field, a wrong type, a NUL, nesting too
 * deep, a body too large, malformed JSON, a bad path or query parameter, no or a weak
 * token, …): each must be a 4xx, and together they must change nothing (no event in the
 * log, the same export, audit and dead letters). Then requests that may be valid: none
 * may be a 5xx, and a configuration value accepted must read back exactly as sent.
 * A failure prints the fast-check seed; run again with HOSTILE_SEED=<seed>.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FORBIDDEN_RUNS = Number(process.env.HOSTILE_FORBIDDEN_RUNS ?? 1600);
const ANY_RUNS = Number(process.env.HOSTILE_ANY_RUNS ?? 1000);
const EXACT_RUNS = Number(process.env.HOSTILE_EXACT_RUNS ?? 100);

/** Requests sent at once: the server is exercised concurrently, as clients use it. */
const BATCH = 8;
const batchOf = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.array(arbitrary, { minLength: BATCH, maxLength: BATCH });

/** Routes a generated request may not start for real: a replay or a rebuild is an operation, not an input. */
const HEAVY = new Set([
  'POST /admin/replay',
  'POST /admin/cache/rebuild',
  // A full comparison of every cached entry: an operation, not an input.
  'GET /admin/consistency',
]);

interface Sent {
  status: number;
  body: string;
}

describe('hostile input generated from the OpenAPI document', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let client: WardenClient;
  let operations: Operation[];
  const seeded = ['hostile-alpha', 'hostile-beta'];
  const tally = new Map<string, Map<number, number>>();

  beforeAll(async () => {
    env = await TestEnvironment.create('hostile');
    [api, worker] = await Promise.all([
      AppProcess.start('api', env.processEnv({ LOG_LEVEL: 'warn' })),
      AppProcess.start('worker', env.processEnv({ LOG_LEVEL: 'warn' })),
    ]);
    client = new WardenClient(api.baseUrl);
    for (const slug of seeded) {
      expect((await client.post('/v1/services', aService({ slug }), WAIT)).status).toBe(201);
      await client.put(`/v1/services/${slug}/config/prod/limits`, { value: { max: 3 } }, WAIT);
      await client.put(
        `/v1/services/${slug}/policies/quota`,
        { env: '*', enabled: true, spec: { limit: 5, period: 'day' } },
        WAIT,
      );
    }
    const document = (await (
      await fetch(`${api.baseUrl}/docs/openapi.json`)
    ).json()) as OpenApiDocument;
    operations = operationsOf(document);
    console.log(
      `hostile-input: seed ${SEED}, ${operations.length} operations from /docs/openapi.json ` +
        `(HOSTILE_SEED=${SEED} repeats this run)`,
    );
  });

  afterAll(async () => {
    const lines = [...tally].map(
      ([attack, statuses]) =>
        `${attack}: ${[...statuses].map(([status, n]) => `${status}×${n}`).join(' ')}`,
    );
    if (lines.length)
      console.log(`hostile-input answers by attack (seed ${SEED}):\n${lines.join('\n')}`);
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  function count(attack: string, status: number): void {
    const statuses = tally.get(attack) ?? new Map<number, number>();
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    tally.set(attack, statuses);
  }

  async function send(attack: Attack): Promise<Sent> {
    const headers: Record<string, string> = { ...attack.headers };
    if (attack.token !== null) headers.authorization = `Bearer ${attack.token ?? TOKENS.admin}`;
    const abort = AbortSignal.timeout(15_000);
    let response: Response;
    try {
      response = await fetch(`${api.baseUrl}${attack.path}`, {
        method: attack.method,
        headers,
        body: attack.body,
        signal: abort,
      });
    } catch (error) {
      // Fastify answers 413 and closes as soon as a body passes the limit; a client still
      // writing the rest may see the close (EPIPE, ECONNRESET) before it reads the 413.
      const code = (error as { cause?: { code?: string } }).cause?.code;
      const oversized = (attack.body?.length ?? 0) > 256 * 1024;
      if (oversized && (code === 'EPIPE' || code === 'ECONNRESET'))
        return { status: 413, body: `closed while the body was sent (${code})` };
      throw error;
    }
    // A stream that the server opened is answer enough; its body never ends.
    const streaming = /text\/event-stream/.test(response.headers.get('content-type') ?? '');
    const body = streaming ? '' : await response.text();
    if (streaming) await response.body?.cancel();
    return { status: response.status, body };
  }

  /** What a rejected request must not have changed. */
  async function observableState() {
    const admin = client.as('admin');
    const kafkaAdmin = env.kafka.admin();
    await kafkaAdmin.connect();
    const ends = await kafkaAdmin.fetchTopicOffsets(env.topics.Events);
    await kafkaAdmin.disconnect();
    const replays = await env.db
      .selectFrom('replays')
      .select(({ fn }) => fn.countAll().as('n'))
      .executeTakeFirst();
    return {
      eventsInLog: ends.map((p) => `${p.partition}:${p.high}`).sort(),
      export: (await admin.get('/v1/export')).body,
      audit: (await admin.get('/v1/audit?limit=200')).body,
      deadLetters: (await admin.get('/admin/dlq?limit=200')).body,
      protectionRules: (await admin.get('/v1/protection-rules')).body,
      replays: Number(replays?.n ?? 0),
    };
  }

  it('answers every request the contract forbids with a 4xx, and none of them changes anything', async () => {
    await eventually(async () => {
      expect((await client.as('admin').get('/admin/consumers')).body.totalLag).toBe(0);
    });
    const before = await observableState();
    const forbidden = fc
      .constantFrom(...operations.filter((o) => MUTATIONS.some((m) => m.applies(o))))
      .chain((operation) =>
        fc
          .constantFrom(...MUTATIONS.filter((m) => m.applies(operation)))
          .chain((mutation) =>
            requestArbitrary(operation, seeded).chain((request) =>
              mutation.apply(request, operation),
            ),
          ),
      );
    await fc.assert(
      fc.asyncProperty(batchOf(forbidden), async (attacks) => {
        const answers = await Promise.all(attacks.map(send));
        attacks.forEach((attack, i) => {
          const answer = answers[i];
          count(attack.name, answer.status);
          if (answer.status < 400 || answer.status >= 500) {
            throw new Error(
              `${attack.name}: ${attack.method} ${attack.path} answered ${answer.status}: ${answer.body.slice(0, 300)}\n` +
                `body sent: ${String(attack.body).slice(0, 300)}`,
            );
          }
        });
      }),
      { seed: SEED, numRuns: Math.ceil(FORBIDDEN_RUNS / BATCH), endOnFailure: true },
    );
    // Nothing the rejected requests did may show, however long one waits for the worker.
    await eventually(async () => {
      expect((await client.as('admin').get('/admin/consumers')).body.totalLag).toBe(0);
    });
    expect(await observableState()).toEqual(before);
  }, 300_000);

  it('answers requests that may be valid without a 5xx', async () => {
    const candidates = operations.filter(
      (o) => !HEAVY.has(`${o.method} ${o.template}`) && !isStreamRoute(o),
    );
    const anyRequest = fc
      .constantFrom(...candidates)
      .chain((operation) => requestArbitrary(operation, seeded))
      .map((draft) => render(draft));
    await fc.assert(
      fc.asyncProperty(batchOf(anyRequest), async (attacks) => {
        const answers = await Promise.all(attacks.map(send));
        attacks.forEach((attack, i) => {
          const answer = answers[i];
          count(`generated ${attack.method}`, answer.status);
          if (answer.status >= 500) {
            throw new Error(
              `${attack.method} ${attack.path} answered ${answer.status}: ${answer.body.slice(0, 300)}\n` +
                `body sent: ${String(attack.body).slice(0, 300)}`,
            );
          }
        });
      }),
      { seed: SEED, numRuns: Math.ceil(ANY_RUNS / BATCH), endOnFailure: true },
    );
  }, 300_000);

  it('stores any configuration value it accepts exactly as sent, odd keys and strings included', async () => {
    const slug = seeded[0];
    // The generated requests before may have deleted it or protected it, also later:
    // their events are applied first.
    const admin = client.as('admin');
    await eventually(async () => {
      expect((await admin.get('/admin/consumers')).body.totalLag).toBe(0);
    });
    for (const rule of (await admin.get('/v1/protection-rules')).body.items ?? [])
      await admin.delete(`/v1/protection-rules/${encodeURIComponent(rule.name)}`);
    await client.post('/v1/services', aService({ slug }), WAIT);
    const oddKey = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '',
      ' ',
    );
    const key = fc.oneof(fc.string({ maxLength: 8 }), oddKey);
    const leaf = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(
        value,
        fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/),
        async (sent, configKey) => {
          // Built as text: JSON.parse makes `__proto__` an own key, as the server reads it.
          const text = JSON.stringify({ value: sent });
          const path = `/v1/services/${slug}/config/prod/${configKey}`;
          const written = await client.request('PUT', path, { rawBody: text, headers: WAIT });
          count('exact value PUT', written.status);
          if (written.status >= 500)
            throw new Error(`PUT answered ${written.status}: ${JSON.stringify(written.body)}`);
          if (written.status >= 300) {
            // Refused: then with a reason, and nothing stored under the key by this request.
            expect(written.body).toMatchObject({
              status: written.status,
              detail: expect.any(String),
            });
            return;
          }
          const read = await fetch(`${api.baseUrl}${path}`, {
            headers: { authorization: `Bearer ${TOKENS.reader}` },
          });
          const stored = JSON.parse(await read.text()) as { value: unknown };
          expect(canonical(stored.value)).toBe(canonical(JSON.parse(text).value));
        },
      ),
      { seed: SEED, numRuns: EXACT_RUNS, endOnFailure: true },
    );
  }, 300_000);
});

/** JSON text with keys sorted: equal for equal values, whatever order jsonb keeps keys in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
