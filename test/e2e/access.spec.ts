import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tokenDigest } from '#config/access-tokens';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

const TOKEN = {
  admin: 'admin-token-0123456789abcdefghij',
  platform: 'platform-writer-0123456789abcdef',
  payments: 'payments-writer-0123456789abcdef',
  paymentsDev: 'payments-dev-only-0123456789abcd',
  reader: 'reader-token-0123456789abcdefghi',
  late: 'late-token-0123456789abcdefghijkl',
};

const grant = (name: string, token: string, role: string, extra: object = {}) => ({
  name,
  sha256: tokenDigest(token),
  role,
  ...extra,
});

const BASE_TOKENS = [
  grant('ops-admin', TOKEN.admin, 'admin'),
  grant('platform-bot', TOKEN.platform, 'writer'),
  grant('payments-ci', TOKEN.payments, 'writer', { teams: ['payments'] }),
  grant('payments-dev', TOKEN.paymentsDev, 'writer', { teams: ['payments'], envs: ['dev'] }),
  grant('dashboard', TOKEN.reader, 'reader'),
];

describe('access: hashed tokens from a file, scoped to teams and environments', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let dir: string;
  let tokensFile: string;
  const as = (token: string) => new WardenClient(api.baseUrl, token);

  function writeTokens(tokens: object[]): void {
    // Written aside and renamed, as a secret manager or `kubectl` would update it.
    writeFileSync(`${tokensFile}.tmp`, JSON.stringify({ tokens }));
    renameSync(`${tokensFile}.tmp`, tokensFile);
  }

  beforeAll(async () => {
    env = await TestEnvironment.create('access');
    dir = mkdtempSync(path.join(tmpdir(), 'warden-access-'));
    tokensFile = path.join(dir, 'tokens.json');
    writeTokens(BASE_TOKENS);
    const { WARDEN_TOKENS: _plain, ...processEnv } = env.processEnv({
      WARDEN_TOKENS_FILE: tokensFile,
    });
    [api, worker] = await Promise.all([
      AppProcess.start('api', processEnv),
      AppProcess.start('worker', processEnv),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function registeredBy(token: string, owner: string): Promise<string> {
    const service = aService({ owner });
    const response = await as(token).post('/v1/services', service, WAIT);
    expect(response.status).toBe(201);
    return String(service.slug);
  }

  it('knows tokens only by the file: the development tokens and unknown ones are 401', async () => {
    expect((await as('dev-writer').get('/v1/services')).status).toBe(401);
    expect((await as(TOKEN.reader).get('/v1/services')).status).toBe(200);
    expect((await as(TOKEN.reader).post('/v1/services', aService())).status).toBe(403);
  });

  it("lets a team's writer manage its own services and records the token's name as the actor", async () => {
    const slug = await registeredBy(TOKEN.payments, 'payments');
    const config = await as(TOKEN.payments).put(
      `/v1/services/${slug}/config/prod/k`,
      { value: 1 },
      WAIT,
    );
    expect(config.status).toBe(201);
    const audit = await as(TOKEN.reader).get(`/v1/audit?aggregate=service:${slug}`);
    expect(audit.body.items.map((e: { actor: string }) => e.actor)).toEqual([
      'payments-ci',
      'payments-ci',
    ]);
  });

  it("refuses a team's writer another team's service, naming the missing team", async () => {
    const registered = await as(TOKEN.payments).post('/v1/services', aService({ owner: 'search' }));
    expect(registered.status).toBe(403);
    expect(registered.headers.get('content-type')).toContain('application/problem+json');
    expect(registered.body.detail).toContain('team scope "search"');

    const theirs = await registeredBy(TOKEN.platform, 'search');
    for (const [method, url, body] of [
      ['PATCH', `/v1/services/${theirs}`, { tier: 0 }],
      ['DELETE', `/v1/services/${theirs}`, undefined],
      ['PUT', `/v1/services/${theirs}/config/prod/k`, { value: 1 }],
      [
        'PUT',
        `/v1/services/${theirs}/policies/quota`,
        { env: '*', enabled: true, spec: { limit: 1, period: 'day' } },
      ],
    ] as const) {
      const response = await as(TOKEN.payments).request(method, url, { body });
      expect({ method, url, status: response.status, detail: response.body.detail }).toEqual({
        method,
        url,
        status: 403,
        detail: expect.stringContaining('team scope "search"'),
      });
    }
    const after = await as(TOKEN.reader).get(`/v1/services/${theirs}`);
    expect(after.body).toMatchObject({ owner: 'search', version: 1 });
  });

  it("keeps an owner change inside the writer's teams", async () => {
    const slug = await registeredBy(TOKEN.payments, 'payments');
    const handedAway = await as(TOKEN.payments).patch(`/v1/services/${slug}`, { owner: 'search' });
    expect(handedAway.status).toBe(403);
    expect(handedAway.body.detail).toContain('team scope "search"');
  });

  it('limits an environment-scoped writer to its environments', async () => {
    const slug = await registeredBy(TOKEN.payments, 'payments');
    const dev = await as(TOKEN.paymentsDev).put(
      `/v1/services/${slug}/config/dev/k`,
      { value: 1 },
      WAIT,
    );
    expect(dev.status).toBe(201);
    const prod = await as(TOKEN.paymentsDev).put(`/v1/services/${slug}/config/prod/k`, {
      value: 1,
    });
    expect(prod.status).toBe(403);
    expect(prod.body.detail).toContain('environment scope "prod"');
  });

  it('keeps global defaults to unscoped writers and admins', async () => {
    const spec = { enabled: true, spec: { limit: 10, period: 'day' } };
    const scoped = await as(TOKEN.payments).put('/v1/policies/quota', spec);
    expect(scoped.status).toBe(403);
    expect(scoped.body.detail).toContain('unscoped');
    expect((await as(TOKEN.platform).put('/v1/policies/quota', spec)).status).toBe(202);
  });

  it('takes a changed tokens file into account without a restart', async () => {
    expect((await as(TOKEN.late).get('/v1/services')).status).toBe(401);
    writeTokens([...BASE_TOKENS, grant('late-reader', TOKEN.late, 'reader')]);
    await eventually(
      async () => expect((await as(TOKEN.late).get('/v1/services')).status).toBe(200),
      {
        timeoutMs: 5_000,
      },
    );
    writeTokens(BASE_TOKENS);
    await eventually(
      async () => expect((await as(TOKEN.late).get('/v1/services')).status).toBe(401),
      {
        timeoutMs: 5_000,
      },
    );
  });

  it('refuses to start in production on plaintext, development or short tokens, naming the variable', () => {
    const run = spawnSync(process.execPath, [path.resolve('dist/apps/api/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        WARDEN_TOKENS: `writer:dev-writer,admin:short,reader:${'x'.repeat(30)}`,
        PORT: '0',
      },
      encoding: 'utf8',
      // Only a bound on a process that never exits; a loaded machine loads the modules slowly.
      timeout: 80_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('WARDEN_TOKENS holds plaintext tokens');
    expect(run.stderr).toContain('WARDEN_TOKENS: the writer token is a development token');
    expect(run.stderr).toContain('WARDEN_TOKENS: the admin token is shorter than 24 characters');
  }, 90_000);

  describe('input kept exactly or refused clearly', () => {
    const fieldsOf = (body: { errors?: { field: string }[] }) =>
      (body.errors ?? []).map((e) => e.field);

    async function produce(key: string, envelope: object): Promise<void> {
      const producer = env.kafka.producer();
      await producer.connect();
      await producer.send({
        topic: env.topics.Events,
        acks: -1,
        messages: [{ key, value: JSON.stringify(envelope) }],
      });
      await producer.disconnect();
    }

    async function statusOf(eventId: string): Promise<{ status: string; reason?: string }> {
      return eventually(
        async () => {
          const r = await as(TOKEN.reader).get(`/v1/events/${eventId}`);
          expect(['applied', 'rejected', 'dead-lettered']).toContain(r.body.status);
          return r.body as { status: string; reason?: string };
        },
        { timeoutMs: 20_000 },
      );
    }

    it('stores constructor, __proto__ and prototype in a value as plain data and reads them back', async () => {
      const slug = await registeredBy(TOKEN.platform, 'search');
      const value =
        '{"constructor":1,"__proto__":{"a":[1]},"prototype":{"constructor":{"prototype":2}}}';
      const set = await as(TOKEN.platform).request('PUT', `/v1/services/${slug}/config/prod/k`, {
        rawBody: `{"value":${value}}`,
        headers: WAIT,
      });
      expect(set.status).toBe(201);
      // PostgreSQL's jsonb orders keys its own way: compare the keys and values, not the order.
      const canonical = (json: string): string =>
        JSON.stringify(JSON.parse(json), (_key, v: unknown) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
            : v,
        );
      const read = await as(TOKEN.reader).get(`/v1/services/${slug}/config/prod/k`);
      const effective = await as(TOKEN.reader).get(`/v1/services/${slug}/effective?env=prod`);
      expect(Object.keys(read.body.value)).toEqual(
        expect.arrayContaining(['constructor', '__proto__', 'prototype']),
      );
      expect(canonical(JSON.stringify(read.body.value))).toBe(canonical(value));
      expect(canonical(JSON.stringify(effective.body.config.k))).toBe(canonical(value));
    });

    it('refuses what it would otherwise lose or choke on, naming the field', async () => {
      const slug = await registeredBy(TOKEN.platform, 'search');
      const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
      const cases: [string, string, string, string][] = [
        [
          'a key a DTO would drop',
          'PUT',
          `/v1/services/${slug}/policies/quota`,
          '{"env":"*","enabled":true,"spec":{"limit":1,"period":"day","constructor":1}}',
        ],
        [
          'a reserved key in a link',
          'POST',
          '/v1/services',
          JSON.stringify({
            ...aService({ owner: 'search' }),
            links: [{ title: 't', url: 'https://x.dev', ['__proto__']: 1 }],
          }),
        ],
        [
          'a value nested 33 deep',
          'PUT',
          `/v1/services/${slug}/config/prod/deep`,
          JSON.stringify({ value: deep(33) }),
        ],
        [
          'a value of 100 000 levels',
          'PUT',
          `/v1/services/${slug}/config/prod/deeper`,
          `{"value":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        ],
        [
          'a NUL in a value',
          'PUT',
          `/v1/services/${slug}/config/prod/nul`,
          '{"value":{"a":"x\\u0000y"}}',
        ],
        [
          'a NUL in a description',
          'PUT',
          `/v1/services/${slug}/config/prod/nul`,
          '{"value":1,"description":"\\u0000"}',
        ],
      ];
      for (const [what, method, url, rawBody] of cases) {
        const response = await as(TOKEN.platform).request(method, url, { rawBody });
        expect({ what, status: response.status }).toEqual({ what, status: 400 });
      }
      const [policy, link, deep33] = await Promise.all(
        cases
          .slice(0, 3)
          .map(([, method, url, rawBody]) => as(TOKEN.platform).request(method, url, { rawBody })),
      );
      expect(fieldsOf(policy.body)).toEqual(['spec.constructor']);
      expect(fieldsOf(link.body)).toEqual(['links[0].__proto__']);
      expect(fieldsOf(deep33.body)).toEqual(['value']);
      expect((await as(TOKEN.reader).get('/v1/services?q=%00')).status).toBe(400);
      const entries = await as(TOKEN.reader).get(`/v1/services/${slug}/config/prod`);
      expect(JSON.stringify(entries.body)).not.toMatch(/"(deep|deeper|nul)"/);
    });

    it('dead-letters at once, with the reason, a NUL from Kafka and an event keyed other than by its aggregate', async () => {
      const slug = await registeredBy(TOKEN.platform, 'search');
      const nul = anEnvelope('config.set', { slug, env: 'prod', key: 'k', value: 'a\u0000b' });
      const misKeyed = anEnvelope('config.set', { slug, env: 'prod', key: 'k', value: 1 });
      await produce(nul.aggregate, nul);
      await produce('service:somebody-else', misKeyed);
      expect(await statusOf(nul.id)).toMatchObject({
        status: 'dead-lettered',
        reason: expect.stringContaining('NUL'),
      });
      expect(await statusOf(misKeyed.id)).toMatchObject({
        status: 'dead-lettered',
        reason: expect.stringContaining('is not the aggregate'),
      });
    });
  });
});
