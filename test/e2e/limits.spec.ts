import { connect } from 'node:net';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { SseReader } from '../support/sse-reader.js';

/** Sends `head` on a raw connection and then nothing: what the server answers, and when it closes. */
function stall(port: number, head: string) {
  const socket = connect(port, '127.0.0.1');
  const seen = { answer: '', closed: false };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (seen.answer += chunk));
  socket.on('close', () => (seen.closed = true));
  socket.on('error', () => (seen.closed = true));
  socket.write(head);
  return { seen, end: () => socket.destroy() };
}

describe('limits: caps on entries and versions, HTTP timeouts, readiness', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let client: WardenClient;

  beforeAll(async () => {
    env = await TestEnvironment.create('limits');
    const processEnv = env.processEnv({
      WARDEN_MAX_ENTRIES_PER_ENV: '3',
      WARDEN_MAX_VERSIONS_PER_KEY: '3',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      WATCH_HEARTBEAT_SECONDS: '1',
    });
    [api, worker] = await Promise.all([
      AppProcess.start('api', processEnv),
      AppProcess.start('worker', processEnv),
    ]);
    client = new WardenClient(api.baseUrl);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  async function aRegisteredService(): Promise<string> {
    const service = aService();
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  }

  it('refuses an entry beyond the environment cap with a 422 that names it, from HTTP and from Kafka alike', async () => {
    const slug = await aRegisteredService();
    for (const key of ['a', 'b', 'c']) {
      expect(
        (await client.put(`/v1/services/${slug}/config/prod/${key}`, { value: 1 }, WAIT)).status,
      ).toBe(201);
    }
    const refused = await client.put(`/v1/services/${slug}/config/prod/d`, { value: 1 }, WAIT);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toBe(
      `${slug} already has 3 configuration entries in prod, the most allowed (3, WARDEN_MAX_ENTRIES_PER_ENV); delete one or use fewer keys`,
    );
    // An existing entry stays writable, and another environment has room of its own.
    expect(
      (await client.put(`/v1/services/${slug}/config/prod/a`, { value: 2 }, WAIT)).status,
    ).toBe(200);
    expect((await client.put(`/v1/services/${slug}/config/dev/d`, { value: 1 }, WAIT)).status).toBe(
      201,
    );

    const outside = anEnvelope('config.set', { slug, env: 'prod', key: 'e', value: 1 });
    const producer = env.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: env.topics.Events,
      acks: -1,
      messages: [{ key: outside.aggregate, value: JSON.stringify(outside) }],
    });
    await producer.disconnect();
    const outcome = await eventually(async () => {
      const event = await client.get(`/v1/events/${outside.id}`);
      expect(event.body.status).toBe('rejected');
      return event.body;
    });
    expect(outcome.reason).toMatch(/WARDEN_MAX_ENTRIES_PER_ENV/);
    const listed = await client.get(`/v1/services/${slug}/config/prod`);
    expect(listed.body.items.map((e: any) => e.key).sort()).toEqual(['a', 'b', 'c']);

    // Deleting one makes room again.
    expect((await client.delete(`/v1/services/${slug}/config/prod/c`, WAIT)).status).toBe(204);
    expect(
      (await client.put(`/v1/services/${slug}/config/prod/d`, { value: 1 }, WAIT)).status,
    ).toBe(201);
  });

  it('keeps the newest versions of an entry and drops the oldest; a rollback to a dropped one is a 422', async () => {
    const slug = await aRegisteredService();
    const path = `/v1/services/${slug}/config/prod/timeout`;
    for (let value = 1; value <= 5; value++) {
      expect([200, 201]).toContain((await client.put(path, { value }, WAIT)).status);
    }
    const history = await client.get(`${path}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((v: any) => [v.version, v.value])).toEqual([
      [5, 5],
      [4, 4],
      [3, 3],
    ]);
    const pruned = await client.post(`${path}/rollback`, { toVersion: 1 }, WAIT);
    expect(pruned.status).toBe(422);
    expect(pruned.body.detail).toMatch(
      /no longer keeps version 1: its history holds the last 3 versions/,
    );
    const rolled = await client.post(`${path}/rollback`, { toVersion: 3 }, WAIT);
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ value: 3, version: 6 });
    const after = await client.get(`${path}/history?limit=2`);
    expect(after.body.items.map((v: any) => v.version)).toEqual([6, 5]);
    const rest = await client.get(`${path}/history?limit=2&cursor=${after.body.nextCursor}`);
    expect(rest.body).toMatchObject({
      items: [expect.objectContaining({ version: 4 })],
      nextCursor: null,
    });
  });

  it('answers 408 and closes a connection whose headers or body do not arrive in time', async () => {
    const headers = stall(api.port, 'GET /v1/services HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz');
    const body = stall(
      api.port,
      'PUT /v1/services/x/config/prod/k HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer dev-writer\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value":',
    );
    try {
      await eventually(
        () => {
          for (const { seen } of [headers, body]) {
            expect(seen.closed).toBe(true);
            expect(seen.answer).toMatch(/^HTTP\/1\.1 408 /);
          }
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      headers.end();
      body.end();
    }
    // The server goes on serving.
    expect((await client.get('/v1/services')).status).toBe(200);
  });

  it('holds long polls and watch streams past the request timeout', async () => {
    const slug = await aRegisteredService();
    const path = `/v1/services/${slug}/effective?env=prod`;
    const reader = client.as('reader');
    const current = await reader.get(path);
    const held = await reader.get(path, {
      'if-none-match': current.headers.get('etag')!,
      prefer: 'wait=4',
    });
    expect(held.status).toBe(304);
    expect(held.headers.get('preference-applied')).toBe('wait=4');

    const stream = await SseReader.open(`${api.baseUrl}${path}`, {
      authorization: 'Bearer dev-reader',
    });
    try {
      expect(stream.status).toBe(200);
      // One heartbeat a second: four of them outlast the 2 s request timeout.
      await eventually(() => expect(stream.heartbeats).toBeGreaterThanOrEqual(4), {
        timeoutMs: 15_000,
      });
      expect(stream.ended).toBe(false);
      expect(
        (await client.put(`/v1/services/${slug}/config/prod/k`, { value: 'late' }, WAIT)).status,
      ).toBe(201);
      await eventually(() =>
        expect(stream.of('view').at(-1)).toMatchObject({ config: { k: 'late' } }),
      );
    } finally {
      stream.close();
    }
  });

  it('answers readiness to many callers at once, without a token', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`${api.baseUrl}/admin/health/ready`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(await answers[0].json()).toEqual({
      status: 'ok',
      checks: { kafka: 'up', postgres: 'up', redis: 'up' },
    });
  });
});
