import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Consumer } from 'kafkajs';
import { tokenDigest } from '#config/access-tokens';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { SseReader } from '../support/sse-reader.js';

const TOKEN = {
  writer: 'plain-writer-0123456789abcdefghij',
  vault: 'vault-writer-0123456789abcdefghij',
  reader: 'plain-reader-0123456789abcdefghij',
  secrets: 'secret-reader-0123456789abcdefghi',
  admin: 'plain-admin-0123456789abcdefghijk',
};
const grant = (name: string, token: string, role: string, scopes?: string[]) => ({
  name,
  sha256: tokenDigest(token),
  role,
  ...(scopes ? { scopes } : {}),
});
const KEY = randomBytes(32).toString('hex');
const OTHER_KEY = randomBytes(32).toString('hex');
const SIGNING_KEY = 'secrets-suite-signing-key-0123456789';

describe('secret configuration values', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let otherKeyApi: AppProcess;
  let keylessApi: AppProcess;
  let dir: string;
  const as = (token: string, base = api.baseUrl) => new WardenClient(base, token);
  /** Distinctive plaintexts: any copy of one anywhere is a leak. */
  const plaintext = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    env = await TestEnvironment.create('secrets');
    dir = mkdtempSync(path.join(tmpdir(), 'warden-secrets-'));
    const tokensFile = path.join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify({
        tokens: [
          grant('plain-writer', TOKEN.writer, 'writer'),
          grant('vault-writer', TOKEN.vault, 'writer', ['secrets']),
          grant('dashboard', TOKEN.reader, 'reader'),
          grant('secret-reader', TOKEN.secrets, 'reader', ['secrets']),
          grant('ops-admin', TOKEN.admin, 'admin'),
        ],
      }),
    );
    const { WARDEN_TOKENS: _plain, ...base } = env.processEnv({
      WARDEN_TOKENS_FILE: tokensFile,
      WARDEN_SIGNING_KEY: SIGNING_KEY,
    });
    const production = { ...base, NODE_ENV: 'production', WARDEN_RATE_LIMIT: '0' };
    // Four processes at once on a shared machine: give them time to become ready.
    const slow = { readyTimeoutMs: 150_000 };
    [api, worker, otherKeyApi, keylessApi] = await Promise.all([
      AppProcess.start('api', { ...base, WARDEN_SECRETS_KEY: KEY }, slow),
      AppProcess.start('worker', { ...base, WARDEN_SECRETS_KEY: KEY }, slow),
      AppProcess.start('api', { ...production, WARDEN_SECRETS_KEY: OTHER_KEY }, slow),
      AppProcess.start('api', production, slow),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop(), otherKeyApi?.stop(), keylessApi?.stop()]);
    await env?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function aServiceWithSecret(value: unknown) {
    const service = aService();
    const slug = String(service.slug);
    expect((await as(TOKEN.writer).post('/v1/services', service, WAIT)).status).toBe(201);
    const written = await as(TOKEN.writer).put(
      `/v1/services/${slug}/config/prod/db.password`,
      { value, secret: true, description: 'primary' },
      WAIT,
    );
    expect(written.status).toBe(201);
    return { slug, written };
  }

  it('reads a secret as *** without the secrets scope and as sent with it', async () => {
    const value = { user: 'svc', password: plaintext('pw') };
    const { slug, written } = await aServiceWithSecret(value);
    // The writer has no secrets scope: its own answer is masked too.
    expect(written.body).toMatchObject({ value: '***', secret: true, version: 1 });
    const entry = `/v1/services/${slug}/config/prod/db.password`;

    const masked = await as(TOKEN.reader).get(entry);
    const opened = await as(TOKEN.secrets).get(entry);
    expect(masked.body).toMatchObject({ value: '***', secret: true, description: 'primary' });
    expect(opened.body).toMatchObject({ value, secret: true });
    // One version-based ETag for both: nothing derived from the plaintext.
    expect(masked.headers.get('etag')).toBe('"1"');
    expect(opened.headers.get('etag')).toBe('"1"');

    const listing = await as(TOKEN.reader).get(`/v1/services/${slug}/config/prod`);
    expect(listing.body.items).toEqual([expect.objectContaining({ value: '***', secret: true })]);

    const second = { user: 'svc', password: plaintext('pw2') };
    expect(
      (await as(TOKEN.vault).put(entry, { value: second, secret: true }, WAIT)).body,
    ).toMatchObject({ value: second, version: 2 });
    const history = await as(TOKEN.reader).get(`${entry}/history`);
    expect(history.body.items.map((v: { value: unknown }) => v.value)).toEqual(['***', '***']);
    const diff = await as(TOKEN.reader).get(`${entry}/history?from=1&to=2`);
    expect(diff.body).toEqual([]);
    const openedDiff = await as(TOKEN.secrets).get(`${entry}/history?from=1&to=2`);
    expect(openedDiff.body).toEqual([{ op: 'replace', path: '/password', value: second.password }]);
    for (const body of [listing.body, history.body]) {
      expect(JSON.stringify(body)).not.toContain(value.password);
    }
  });

  it('masks the effective view, from memory too, and opens it only for the scope', async () => {
    const password = plaintext('eff');
    const { slug } = await aServiceWithSecret(password);
    await as(TOKEN.writer).put(`/v1/services/${slug}/config/prod/pool`, { value: 8 }, WAIT);
    const view = `/v1/services/${slug}/effective?env=prod`;
    // Twice each, alternating: the second read of each comes from memory (the fast lane).
    for (let round = 0; round < 2; round++) {
      const masked = await as(TOKEN.reader).get(view);
      const opened = await as(TOKEN.secrets).get(view);
      expect(masked.body.config).toEqual({ 'db.password': '***', pool: 8 });
      expect(opened.body.config).toEqual({ 'db.password': password, pool: 8 });
      expect(masked.headers.get('etag')).toBe(opened.headers.get('etag'));
      expect(masked.headers.get('vary')).toMatch(/authorization/i);
    }
  });

  it('streams the masked view to watchers without the scope and the opened one to those with it', async () => {
    const first = plaintext('watch1');
    const { slug } = await aServiceWithSecret(first);
    const url = `${api.baseUrl}/v1/services/${slug}/effective?env=prod`;
    const masked = await SseReader.open(url, { authorization: `Bearer ${TOKEN.reader}` });
    const opened = await SseReader.open(url, { authorization: `Bearer ${TOKEN.secrets}` });
    try {
      const next = plaintext('watch2');
      await eventually(() => expect(masked.of('view')).toHaveLength(1));
      await eventually(() => expect(opened.of('view')).toHaveLength(1));
      await as(TOKEN.vault).put(
        `/v1/services/${slug}/config/prod/db.password`,
        { value: next, secret: true },
        WAIT,
      );
      await eventually(() =>
        expect(opened.of('view').map((v) => v.config['db.password'])).toEqual([first, next]),
      );
      await eventually(() =>
        expect(masked.of('view').map((v) => v.config['db.password'])).toEqual(['***', '***']),
      );
      const raw = masked.events.map((e) => e.data).join('\n');
      expect(raw).not.toContain(first);
      expect(raw).not.toContain(next);
    } finally {
      masked.close();
      opened.close();
    }
  });

  it("masks the audit's before and after, and the exports, for tokens without the scope", async () => {
    const first = plaintext('audit1');
    const { slug } = await aServiceWithSecret(first);
    const next = plaintext('audit2');
    await as(TOKEN.vault).put(
      `/v1/services/${slug}/config/prod/db.password`,
      { value: next, secret: true },
      WAIT,
    );
    const audit = `/v1/audit?aggregate=service:${slug}&type=config.set`;
    const masked = await as(TOKEN.admin).get(audit);
    expect(masked.body.items[0]).toMatchObject({
      before: { value: '***', secret: true },
      after: { value: '***', secret: true },
    });
    expect(JSON.stringify(masked.body)).not.toMatch(new RegExp(`${first}|${next}`));
    const opened = await as(TOKEN.secrets).get(audit);
    expect(opened.body.items[0]).toMatchObject({
      before: { value: first },
      after: { value: next },
    });

    const exported = await as(TOKEN.reader).get(`/v1/services/${slug}/export`);
    expect(exported.body.config).toEqual([
      // The second version was written without a description.
      { env: 'prod', key: 'db.password', value: '***', secret: true },
    ]);
    const all = await as(TOKEN.reader).get('/v1/export');
    expect(JSON.stringify(all.body)).not.toContain(next);
    const openedExport = await as(TOKEN.secrets).get(`/v1/services/${slug}/export`);
    expect(openedExport.body.config[0]).toMatchObject({ value: next, secret: true });

    // A masked export imported back would overwrite the secret with "***": refused.
    const refused = await as(TOKEN.writer).post('/v1/import', exported.body, WAIT);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'config.0.value' })]);
    // The scoped export imports as is: the same secret is unchanged.
    const again = await as(TOKEN.vault).post('/v1/import?dryRun=true', openedExport.body);
    expect(again.status).toBe(200);
    expect(
      again.body.changes.find((c: { resource: string }) => c.resource === 'config'),
    ).toMatchObject({ action: 'unchanged' });
    expect(
      (await as(TOKEN.secrets).get(`/v1/services/${slug}/config/prod/db.password`)).body,
    ).toMatchObject({ value: next, version: 2 });
  });

  it('keeps the plaintext out of the event log, the change feed, PostgreSQL and Redis', async () => {
    const password = plaintext('rest');
    const feed: string[] = [];
    const events: string[] = [];
    const consumers: Consumer[] = [];
    for (const [topic, sink] of [
      [env.topics.Changes, feed],
      [env.topics.Events, events],
    ] as const) {
      const consumer = env.kafka.consumer({
        groupId: `${env.namespace}.reader-${topic}`,
        maxWaitTimeInMs: 100,
      });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          sink.push(message.value?.toString('utf8') ?? '');
        },
      });
    }
    let slug = '';
    try {
      ({ slug } = await aServiceWithSecret(password));
      await eventually(
        () =>
          expect(feed.some((m) => m.includes(`service:${slug}`) && m.includes('db.password'))).toBe(
            true,
          ),
        { timeoutMs: 20_000 },
      );
      const change = JSON.parse(
        feed.find((m) => m.includes(`service:${slug}`) && m.includes('db.password'))!,
      );
      expect(change.state).toMatchObject({ key: 'db.password', value: '***', secret: true });
      await eventually(() =>
        expect(events.some((m) => m.includes(slug) && m.includes('encryptedValue'))).toBe(true),
      );
      expect(feed.join('\n')).not.toContain(password);
      expect(events.join('\n')).not.toContain(password);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }

    const stored = await sql<{ value: string; secret: boolean; tbl: string }>`
      SELECT value::text AS value, secret, 'entries' AS tbl FROM ${sql.id(env.schema, 'config_entries')}
        WHERE key = 'db.password'
      UNION ALL
      SELECT value::text, secret, 'history' FROM ${sql.id(env.schema, 'config_history')}
        WHERE key = 'db.password'`.execute(env.db);
    expect(stored.rows.length).toBeGreaterThan(0);
    for (const row of stored.rows) {
      expect(row.secret).toBe(true);
      expect(JSON.parse(row.value)).toEqual({
        alg: 'A256GCM',
        iv: expect.any(String),
        tag: expect.any(String),
        ciphertext: expect.any(String),
      });
    }
    const everywhere = await sql<{ n: string }>`
      SELECT count(*) AS n FROM (
        SELECT value::text AS t FROM ${sql.id(env.schema, 'config_entries')}
        UNION ALL SELECT value::text FROM ${sql.id(env.schema, 'config_history')}
        UNION ALL SELECT coalesce(before::text, '') || coalesce(after::text, '') FROM ${sql.id(env.schema, 'audit_log')}
        UNION ALL SELECT convert_from(value, 'UTF8') FROM ${sql.id(env.schema, 'outbox_messages')}
      ) AS everything WHERE t LIKE ${'%' + password + '%'}`.execute(env.db);
    expect(Number(everywhere.rows[0].n)).toBe(0);

    // Every key of the namespace, whatever its type, after reads filled the caches.
    await as(TOKEN.secrets).get(`/v1/services/${slug}/effective?env=prod`);
    await as(TOKEN.reader).get(`/v1/services/${slug}/effective?env=prod`);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await env.redis.scan(
        cursor,
        'MATCH',
        `warden:${env.namespace}:*`,
        'COUNT',
        500,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.some((k) => k.includes(':snap:'))).toBe(true);
    for (const key of keys) {
      const type = await env.redis.type(key);
      const content =
        type === 'string'
          ? await env.redis.get(key)
          : type === 'hash'
            ? JSON.stringify(await env.redis.hgetall(key))
            : type;
      expect({ key, leaks: content?.includes(password) }).toEqual({ key, leaks: false });
    }
  });

  it('encrypts a secret that another producer sent in the clear on Kafka', async () => {
    const service = aService();
    const slug = String(service.slug);
    await as(TOKEN.writer).post('/v1/services', service, WAIT);
    const password = plaintext('kafka');
    const envelope = anEnvelope('config.set', {
      slug,
      env: 'prod',
      key: 'token',
      value: password,
      secret: true,
    });
    const producer = env.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: env.topics.Events,
      messages: [{ key: envelope.aggregate, value: JSON.stringify(envelope) }],
    });
    await producer.disconnect();
    const entry = `/v1/services/${slug}/config/prod/token`;
    await eventually(async () =>
      expect((await as(TOKEN.secrets).get(entry)).body).toMatchObject({
        value: password,
        secret: true,
      }),
    );
    expect((await as(TOKEN.reader).get(entry)).body.value).toBe('***');
    const row = await sql<{ value: string }>`
      SELECT value::text AS value FROM ${sql.id(env.schema, 'config_entries')}
      WHERE slug = ${slug} AND key = 'token'`.execute(env.db);
    expect(row.rows[0].value).not.toContain(password);
  });

  it('refuses to make a secret readable by a write that forgot to say secret', async () => {
    const password = plaintext('sticky');
    const { slug } = await aServiceWithSecret(password);
    const entry = `/v1/services/${slug}/config/prod/db.password`;
    const forgot = await as(TOKEN.writer).put(entry, { value: 'oops' }, WAIT);
    expect(forgot.status).toBe(422);
    expect(forgot.body.detail).toContain('"secret": true');
    expect((await as(TOKEN.secrets).get(entry)).body).toMatchObject({
      value: password,
      version: 1,
    });
    const readable = await as(TOKEN.writer).put(entry, { value: 'public', secret: false }, WAIT);
    expect(readable.body).toMatchObject({ value: 'public', version: 2 });
    expect(readable.body).not.toHaveProperty('secret');
  });

  it('refuses a body that carries what only the API puts in an event: a ciphertext or a path identifier', async () => {
    const service = aService();
    const slug = String(service.slug);
    expect((await as(TOKEN.writer).post('/v1/services', service, WAIT)).status).toBe(201);
    const entry = `/v1/services/${slug}/config/prod/api.key`;
    const forged = await as(TOKEN.vault).put(entry, {
      secret: true,
      encryptedValue: { alg: 'A256GCM', iv: 'AAAA', tag: 'AAAA', ciphertext: 'AAAA' },
    });
    expect(forged.status).toBe(400);
    expect(forged.body.errors).toEqual([
      { field: 'encryptedValue', message: 'encryptedValue should not exist' },
    ]);
    const elsewhere = await as(TOKEN.vault).put(entry, { value: 1, slug: 'another-service' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.errors).toEqual([{ field: 'slug', message: 'slug should not exist' }]);
    expect((await as(TOKEN.secrets).get(entry)).status).toBe(404);
  });

  it('promotes a secret as a secret, with a masked report for writers without the scope', async () => {
    const password = plaintext('promo');
    const service = aService();
    const slug = String(service.slug);
    await as(TOKEN.writer).post('/v1/services', service, WAIT);
    await as(TOKEN.writer).put(
      `/v1/services/${slug}/config/staging/db.password`,
      { value: password, secret: true },
      WAIT,
    );
    const promoted = await as(TOKEN.writer).post(
      `/v1/services/${slug}/config/promote`,
      { from: 'staging', to: 'prod' },
      WAIT,
    );
    expect(promoted.status).toBe(200);
    expect(JSON.stringify(promoted.body)).not.toContain(password);
    expect(promoted.body.changes).toEqual([
      expect.objectContaining({
        key: 'db.password',
        change: 'added',
        after: { value: '***', secret: true },
      }),
    ]);
    const entry = `/v1/services/${slug}/config/prod/db.password`;
    expect((await as(TOKEN.reader).get(entry)).body).toMatchObject({ value: '***', secret: true });
    expect((await as(TOKEN.secrets).get(entry)).body).toMatchObject({
      value: password,
      secret: true,
    });
    const again = await as(TOKEN.vault).post(`/v1/services/${slug}/config/promote`, {
      from: 'staging',
      to: 'prod',
      dryRun: true,
    });
    expect(again.body.changes).toEqual([
      expect.objectContaining({ change: 'unchanged', after: { value: password, secret: true } }),
    ]);
  });

  it('cannot open a secret with another key, and refuses secret writes without one', async () => {
    const password = plaintext('key');
    const { slug } = await aServiceWithSecret(password);
    const entry = `/v1/services/${slug}/config/prod/db.password`;
    const wrongKey = await as(TOKEN.secrets, otherKeyApi.baseUrl).get(entry);
    expect(wrongKey.status).toBe(200);
    expect(wrongKey.body).toMatchObject({ value: '***', secret: true });
    expect(JSON.stringify(wrongKey.body)).not.toContain(password);

    const keyless = await as(TOKEN.vault, keylessApi.baseUrl).put(
      `/v1/services/${slug}/config/prod/other`,
      { value: 'x', secret: true },
    );
    expect(keyless.status).toBe(422);
    expect(keyless.body.detail).toContain('WARDEN_SECRETS_KEY');
    // Plain entries are still written there.
    const plainWrite = await as(TOKEN.writer, keylessApi.baseUrl).put(
      `/v1/services/${slug}/config/prod/other`,
      { value: 'x' },
    );
    expect(plainWrite.status).toBe(202);
  });
});
