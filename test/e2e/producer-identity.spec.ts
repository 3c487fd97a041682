import { WardenClient, WAIT } from '../support/http-client.js';
import { AppProcess } from '../support/app-process.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

const SIGNING_KEY = 'a-signing-key-shared-by-api-and-worker';

describe('producers with an identity: signed API envelopes, claimed Kafka actors', () => {
  const stack = useStack('identity', {
    env: { WARDEN_SIGNING_KEY: SIGNING_KEY },
    worker: { WORKER_REQUIRE_SIGNED: 'true' },
  });
  const { client } = stack;

  const produce = (envelope: { aggregate: string }, headers?: Record<string, string>) =>
    stack.env.produce(envelope, headers);

  async function statusOf(eventId: string): Promise<{ status: string; reason?: string }> {
    return eventually(
      async () => {
        const r = await client.as('reader').get(`/v1/events/${eventId}`);
        expect(['applied', 'rejected', 'dead-lettered']).toContain(r.body.status);
        return r.body as { status: string; reason?: string };
      },
      { timeoutMs: 20_000 },
    );
  }

  it("records an API write as source api with the token's name, at the worker's time", async () => {
    const service = aService();
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    const audit = await client
      .as('reader')
      .get(`/v1/audit?aggregate=service:${String(service.slug)}`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({ actor: 'alice', source: 'api', actorVerified: true }),
    ]);
  });

  it('dead-letters an unsigned event and a forged signature when signatures are required', async () => {
    const unsigned = anEnvelope('service.registered', aService(), { actor: 'mallory' });
    const forged = anEnvelope('service.registered', aService(), { actor: 'alice' });
    await produce(unsigned);
    await produce(forged, { 'x-warden-signature': `sha256=${'0'.repeat(64)}` });
    expect(await statusOf(unsigned.id)).toEqual(
      expect.objectContaining({ status: 'dead-lettered', reason: 'unsigned' }),
    );
    expect(await statusOf(forged.id)).toEqual(
      expect.objectContaining({ status: 'dead-lettered', reason: 'bad signature' }),
    );
    const missing = await client.as('reader').get(`/v1/services/${String(unsigned.data.slug)}`);
    expect(missing.status).toBe(404);
  });
});

describe('producers with an identity: outside producers allowed', () => {
  const stack = useStack('outside');
  const { client } = stack;

  it("marks a Kafka producer's actor as claimed and stamps resources with the worker's clock", async () => {
    const service = aService();
    const envelope = anEnvelope('service.registered', service, {
      actor: 'alice',
      occurredAt: '2001-01-01T00:00:00.000Z',
    });
    await stack.env.produce(envelope);
    const registered = await eventually(
      async () => {
        const r = await client.as('reader').get(`/v1/services/${String(service.slug)}`);
        expect(r.status).toBe(200);
        return r.body as { createdAt: string; updatedAt: string };
      },
      { timeoutMs: 20_000 },
    );
    expect(registered.createdAt.startsWith('2001')).toBe(false);
    expect(registered.updatedAt.startsWith('2001')).toBe(false);
    const audit = await client
      .as('reader')
      .get(`/v1/audit?aggregate=service:${String(service.slug)}`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        actor: 'alice',
        source: 'kafka',
        actorVerified: false,
        occurredAt: '2001-01-01T00:00:00.000Z',
      }),
    ]);
  });

  it('limits each token across API instances: 429 with Retry-After and the RateLimit headers', async () => {
    const limited = await Promise.all([
      AppProcess.start('api', stack.env.processEnv({ WARDEN_RATE_LIMIT: '1' })),
      AppProcess.start('api', stack.env.processEnv({ WARDEN_RATE_LIMIT: '1' })),
    ]);
    try {
      const service = aService();
      expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
      const path = `/v1/services/${String(service.slug)}/effective?env=prod`;
      // Bursts of reads of the hot path spread over both instances: one request per second
      // per token passes, so a burst that the machine serves within a few seconds is refused in part.
      const refused = await eventually(
        async () => {
          const answers = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              new WardenClient(limited[i % 2].baseUrl).as('reader').get(path),
            ),
          );
          expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
          const tooMany = answers.filter((a) => a.status === 429);
          expect(tooMany.length).toBeGreaterThan(0);
          return tooMany;
        },
        { timeoutMs: 20_000 },
      );
      expect(refused[0].headers.get('retry-after')).toBe('1');
      expect(refused[0].headers.get('ratelimit-limit')).toBe('1');
      expect(refused[0].headers.get('ratelimit-remaining')).toBe('0');
      expect(refused[0].headers.get('content-type')).toContain('application/problem+json');
      // The default instance (development) has no limit.
      for (let i = 0; i < 5; i++) expect((await client.as('reader').get(path)).status).toBe(200);
    } finally {
      await Promise.all(limited.map((a) => a.stop()));
    }
  });
});
