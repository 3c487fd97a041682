import { randomBytes } from 'node:crypto';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService } from '../support/builders.js';
import { createKafka } from '#messaging/kafka-client';

/** How a Kafka client without (or with wrong) credentials fares against the broker. */
async function refusal(
  brokers: string,
  sasl?: { mechanism: 'scram-sha-256'; username: string; password: string },
): Promise<string> {
  const admin = createKafka({
    clientId: 'scram-intruder',
    brokers: [brokers],
    ...(sasl ? { security: { sasl } } : {}),
  }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return 'allowed';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('Kafka credentials: a broker that takes only SCRAM-SHA-256 clients', () => {
  const user = { username: 'warden-apps', password: randomBytes(18).toString('base64url') };
  let kafka: PrivateKafka;
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    kafka = await PrivateKafka.start({ scram: user });
    env = await TestEnvironment.create('scram', {
      kafkaBrokers: kafka.brokers,
      kafkaSasl: { mechanism: 'scram-sha-256', ...user },
    });
    const processEnv = env.processEnv({ WORKER_REQUIRE_SIGNED: 'true' });
    [api, worker] = await Promise.all([
      AppProcess.start('api', processEnv),
      AppProcess.start('worker', processEnv),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
    await kafka?.dispose();
  });

  it('refuses a client without credentials or with a wrong password', async () => {
    expect(await refusal(kafka.brokers)).not.toBe('allowed');
    expect(
      await refusal(kafka.brokers, { mechanism: 'scram-sha-256', ...user, password: 'guessed' }),
    ).toMatch(/SASL|[Aa]uthentication/);
    // The same client with the right credentials gets in: the refusals were about them.
    expect(await refusal(kafka.brokers, { mechanism: 'scram-sha-256', ...user })).toBe('allowed');
  });

  it('lets the API and the worker configured with KAFKA_SASL_* publish and apply a write', async () => {
    const client = new WardenClient(api.baseUrl);
    const service = aService();
    const created = await client.post('/v1/services', service, WAIT);
    expect(created.status).toBe(201);
    const set = await client.put(
      `/v1/services/${String(service.slug)}/config/prod/pool`,
      { value: { size: 8 } },
      WAIT,
    );
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ value: { size: 8 }, version: 1 });
    const audit = await client.get(`/v1/audit?aggregate=service:${String(service.slug)}`);
    expect(audit.body.items[0]).toMatchObject({ source: 'api', actorVerified: true });
    expect((await fetch(`${api.baseUrl}/admin/health/ready`)).status).toBe(200);
  });
});
