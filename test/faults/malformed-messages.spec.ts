import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../support/test-environment.js';
import { WardenClient } from '../support/http-client.js';
import { anEnvelope, aService } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import type { AppProcess } from '../support/app-process.js';
import { Apps, counterHistory, WHOLE_HISTORY } from './fault-helpers.js';

const SERVICES = 10;
const VALID_PER_SERVICE = 100;

/** Five ways a message on the events topic can fail to be an event, and the reason each gives. */
const MALFORMED: { reason: RegExp; make: (slug: string, i: number) => string }[] = [
  { reason: /^not valid JSON/, make: (_slug, i) => `{"broken": ${i}` },
  { reason: /^empty message|^not valid JSON/, make: () => '' },
  {
    reason: /type/,
    make: (slug, i) =>
      JSON.stringify({
        ...anEnvelope('config.set', { slug, env: 'prod', key: 'counter', value: i }),
        type: 'config.exploded',
      }),
  },
  {
    reason: /data\.key/,
    make: (slug) =>
      JSON.stringify({ ...anEnvelope('config.set', { slug, env: 'prod', key: 'bad key!' }) }),
  },
  {
    reason: /aggregate/,
    make: (slug, i) =>
      JSON.stringify({
        ...anEnvelope('config.set', { slug, env: 'prod', key: 'counter', value: i }),
        aggregate: 'service:someone-else',
      }),
  },
];

describe('fault: malformed messages interleaved with valid ones on the events topic', () => {
  let env: TestEnvironment;
  const apps = new Apps();
  let api: AppProcess;

  beforeAll(async () => {
    env = await TestEnvironment.create('malformed');
    ({ api } = await apps.both(env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY })));
  });

  afterAll(async () => {
    await apps.stopAll();
    await env?.dispose();
  });

  it('applies every valid event in order and dead-letters every malformed one with its reason', async () => {
    const slugs = Array.from({ length: SERVICES }, () => String(aService().slug));
    const messages: { key: string; value: string; headers: Record<string, string> }[] = slugs.map(
      (slug) => ({
        key: `service:${slug}`,
        value: JSON.stringify(anEnvelope('service.registered', aService({ slug }))),
        headers: {},
      }),
    );
    const malformed = new Map<string, RegExp>();
    for (let i = 0; i < SERVICES * VALID_PER_SERVICE; i++) {
      const slug = slugs[i % SERVICES];
      messages.push({
        key: `service:${slug}`,
        value: JSON.stringify(
          anEnvelope('config.set', {
            slug,
            env: 'prod',
            key: 'counter',
            value: Math.floor(i / SERVICES),
          }),
        ),
        headers: {},
      });
      const kind = MALFORMED[i % MALFORMED.length];
      const requestId = `req-malformed-${i}`;
      malformed.set(requestId, kind.reason);
      messages.push({
        key: `service:${slug}`,
        value: kind.make(slug, i),
        headers: { 'x-request-id': requestId },
      });
    }
    const producer = env.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic: env.topics.Events,
        acks: -1,
        messages: messages.slice(i, i + 500),
      });
    }
    await producer.disconnect();

    await eventually(
      async () => {
        const history = await counterHistory(env.db, slugs);
        expect([...history.values()].reduce((n, h) => n + h.length, 0)).toBe(
          SERVICES * VALID_PER_SERVICE,
        );
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    for (const entries of (await counterHistory(env.db, slugs)).values()) {
      expect(entries.map((e) => e.value)).toEqual(
        Array.from({ length: VALID_PER_SERVICE }, (_, v) => v),
      );
      expect(entries.map((e) => e.version)).toEqual(
        Array.from({ length: VALID_PER_SERVICE }, (_, v) => v + 1),
      );
    }

    // Every malformed message is in the dead-letter topic with why and whence.
    const letters = new Map<string, Record<string, string>>();
    const consumer = env.kafka.consumer({
      groupId: `${env.namespace}.dlq-reader`,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: env.topics.DeadLetters, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        letters.set(headers['x-request-id'], headers);
      },
    });
    try {
      await eventually(() => expect(letters.size).toBe(malformed.size), {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
    } finally {
      await consumer.disconnect();
    }
    for (const [requestId, reason] of malformed) {
      const headers = letters.get(requestId)!;
      expect(headers['x-error-reason']).toMatch(reason);
      expect(headers['x-original-partition']).toMatch(/^[0-5]$/);
      expect(headers['x-original-offset']).toMatch(/^\d+$/);
    }
    const recorded = await env.db
      .selectFrom('dead_letters')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(recorded.n)).toBe(malformed.size);

    // A malformed message with a valid id answers for itself at GET /v1/events/{id}.
    const id = randomUUID();
    const stray = {
      ...anEnvelope('config.set', { slug: slugs[0], env: 'prod', key: 'k', value: 1 }),
      id,
      schemaVersion: 7,
    };
    const single = env.kafka.producer();
    await single.connect();
    await single.send({
      topic: env.topics.Events,
      acks: -1,
      messages: [{ key: `service:${slugs[0]}`, value: JSON.stringify(stray) }],
    });
    await single.disconnect();
    await eventually(async () => {
      const status = await new WardenClient(api.baseUrl).as('reader').get(`/v1/events/${id}`);
      expect(status.body).toMatchObject({
        status: 'dead-lettered',
        reason: expect.stringMatching(/schemaVersion/),
      });
    });
  }, 120_000);
});
