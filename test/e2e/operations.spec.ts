import { randomUUID } from 'node:crypto';
import type { AppProcess } from '../support/app-process.js';
import { WAIT } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

/** Log lines of a process, parsed (pino writes one JSON object per line). */
function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('operating the write path: dead letters, replay, consumers, request ids', () => {
  const stack = useStack('operations');
  const { client } = stack;
  const admin = client.as('admin');

  async function produce(
    messages: { key: string; value: string; headers?: Record<string, string> }[],
  ): Promise<void> {
    const producer = stack.env.kafka.producer();
    await producer.connect();
    await producer.send({ topic: stack.env.topics.Events, acks: -1, messages });
    await producer.disconnect();
  }

  it('carries the request id from the HTTP request through Kafka into the worker log line of the same change', async () => {
    const requestId = `req-${randomUUID()}`;
    const accepted = await client.post('/v1/services', aService(), { 'x-request-id': requestId });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBe(requestId);
    const { eventId } = accepted.body;

    await eventually(() => {
      expect(logLines(stack.worker)).toContainEqual(
        expect.objectContaining({
          app: 'worker',
          msg: 'event applied',
          requestId,
          eventId,
          level: 30,
        }),
      );
    });
    expect(logLines(stack.api)).toContainEqual(
      expect.objectContaining({ app: 'api', msg: 'event accepted', requestId, eventId }),
    );
  });

  it('lists dead letters with reason and origin, pages them, sends one back and drops another', async () => {
    const service = aService();
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    const slug = String(service.slug);
    // A valid change that was dead-lettered earlier (say by a bug since fixed).
    const parked = anEnvelope('config.set', { slug, env: 'prod', key: 'timeout', value: 30 });
    await stack.env.db
      .insertInto('dead_letters')
      .values({
        event_id: parked.id,
        reason: 'failed 5 times: deadlock',
        original_partition: 9,
        original_offset: '77',
        key: parked.aggregate,
        payload: Buffer.from(JSON.stringify(parked)),
        headers: JSON.stringify({ 'x-request-id': 'req-parked' }),
        created_at: new Date(),
      })
      .execute();
    await stack.env.db
      .insertInto('processed_events')
      .values({
        id: parked.id,
        aggregate: parked.aggregate,
        type: 'unknown',
        status: 'dead-lettered',
        reason: 'failed 5 times: deadlock',
        processed_at: new Date(),
      })
      .execute();
    // Two messages that are not events at all.
    await produce([
      {
        key: `service:${slug}`,
        value: '{"id": "not json',
        headers: { 'x-request-id': 'req-broken' },
      },
      {
        key: `service:${slug}`,
        value: JSON.stringify({
          ...anEnvelope('config.set', { slug, env: 'prod', key: 'k', value: 1 }),
          type: 'config.exploded',
        }),
      },
    ]);

    const all = await eventually(async () => {
      const page = await admin.get('/admin/dlq?limit=10');
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(3);
      return page.body.items;
    });
    const broken = all.find((l: any) => l.requestId === 'req-broken');
    expect(broken).toMatchObject({
      reason: expect.stringMatching(/^not valid JSON/),
      originalPartition: expect.any(Number),
      originalOffset: expect.stringMatching(/^\d+$/),
      key: `service:${slug}`,
      payload: '{"id": "not json',
      payloadEncoding: 'utf8',
      redriveCount: 0,
    });
    expect(all.find((l: any) => l.payload.includes('config.exploded')).reason).toMatch(/type/);

    const first = await admin.get('/admin/dlq?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await admin.get(`/admin/dlq?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.anything()], nextCursor: null });
    expect([...first.body.items, ...second.body.items].map((l: any) => l.id)).toEqual(
      all.map((l: any) => l.id),
    );

    const parkedLetter = all.find((l: any) => l.eventId === parked.id);
    const redriven = await admin.post(`/admin/dlq/${parkedLetter.id}/redrive`, {});
    expect(redriven.status).toBe(202);
    expect(redriven.body).toMatchObject({
      id: parkedLetter.id,
      redriveCount: 1,
      redrivenAt: expect.any(String),
    });
    await eventually(async () => {
      expect((await client.get(`/v1/events/${parked.id}`)).body).toMatchObject({
        status: 'applied',
        version: 1,
      });
    });
    expect((await client.get(`/v1/services/${slug}/config/prod`)).body).toEqual(
      expect.objectContaining({ items: [expect.objectContaining({ key: 'timeout', value: 30 })] }),
    );

    expect((await admin.delete(`/admin/dlq/${broken.id}`)).status).toBe(204);
    expect((await admin.delete(`/admin/dlq/${broken.id}`)).status).toBe(404);
    expect((await admin.get('/admin/dlq')).body.items.map((l: any) => l.id)).not.toContain(
      broken.id,
    );

    expect((await client.get('/admin/dlq')).status).toBe(403);
    expect((await admin.post('/admin/dlq/abc/redrive', {})).status).toBe(400);
    expect((await admin.post('/admin/dlq/999999/redrive', {})).status).toBe(404);
    expect((await admin.get('/admin/dlq?cursor=bogus')).status).toBe(400);
  });

  it('reports the group members, the partitions each reads and the lag, also on the worker /metrics', async () => {
    const report = await eventually(async () => {
      const r = await admin.get('/admin/consumers');
      expect(r.status).toBe(200);
      expect(r.body.totalLag).toBe(0);
      return r.body;
    });
    expect(report).toMatchObject({
      state: 'Stable',
      topic: stack.env.topics.Events,
      members: [expect.objectContaining({ partitions: [0, 1, 2, 3, 4, 5] })],
    });
    expect(report.partitions).toHaveLength(6);
    const written = report.partitions.find((p: any) => p.endOffset !== '0');
    expect(written).toEqual({
      partition: expect.any(Number),
      committedOffset: written.endOffset,
      endOffset: expect.stringMatching(/^[1-9]\d*$/),
      lag: 0,
      memberId: report.members[0].memberId,
    });
    const metrics = await (await fetch(`${stack.worker.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      `warden_consumer_lag{partition="${written.partition}",app="worker"} 0`,
    );
  });

  it('times each step of a write on the /metrics of the API and of the worker', async () => {
    expect((await client.post('/v1/services', aService(), WAIT)).status).toBe(201);
    const stageCount = (metrics: string, stage: string, app: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('warden_write_stage_seconds_count{'))
        .filter((line) => line.includes(`stage="${stage}"`) && line.includes(`app="${app}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    await eventually(async () => {
      const metrics = (await admin.get('/metrics')).body as string;
      for (const stage of ['appended', 'dropped']) {
        expect(stageCount(metrics, stage, 'api')).toBeGreaterThan(0);
      }
      const workerMetrics = await (await fetch(`${stack.worker.baseUrl}/metrics`)).text();
      for (const stage of ['fetched', 'committed', 'cached', 'announced']) {
        expect(stageCount(workerMetrics, stage, 'worker')).toBeGreaterThan(0);
      }
    });
  });

  it('counts each event by outcome, and the events of each applied run, on the worker /metrics', async () => {
    const counter = (metrics: string, name: string, labels = '') =>
      Number(
        metrics
          .split('\n')
          .find((line) => line.startsWith(`${name}{`) && line.includes(labels))
          ?.split(' ')
          .pop() ?? 0,
      );
    const scrape = async () => (await fetch(`${stack.worker.baseUrl}/metrics`)).text();
    const before = await scrape();
    const service = aService();
    const slug = String(service.slug);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    expect(
      (await client.put(`/v1/services/${slug}/config/prod/a`, { value: 1 }, WAIT)).status,
    ).toBe(201);
    const stale = await client.put(
      `/v1/services/${slug}/config/prod/a`,
      { value: 2 },
      {
        ...WAIT,
        'if-match': '"7"',
      },
    );
    expect(stale.status).toBe(409);

    const after = await scrape();
    const delta = (name: string, labels = '') =>
      counter(after, name, labels) - counter(before, name, labels);
    expect(delta('warden_events_total', 'outcome="applied"')).toBe(2);
    expect(delta('warden_events_total', 'outcome="rejected"')).toBe(1);
    expect(delta('warden_events_total', 'outcome="consumed"')).toBe(3);
    // Waited for one by one, each write was a run of its own.
    expect(delta('warden_worker_run_events_count')).toBe(3);
    expect(delta('warden_worker_run_events_sum')).toBe(3);
  });

  it('rebuilds the projections from the log with a fresh consumer group, ending in the same state', async () => {
    const service = aService();
    const slug = String(service.slug);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      await client.put(`/v1/services/${slug}/config/prod/retries`, { value: i });
    }
    await client.put(`/v1/services/${slug}/policies/quota`, {
      env: '*',
      enabled: true,
      spec: { limit: 10, period: 'day' },
    });
    expect(
      (await client.patch(`/v1/services/${slug}`, { tier: 0 }, { ...WAIT, 'if-match': '"9"' }))
        .status,
    ).toBe(409);
    await eventually(async () => {
      expect((await client.get(`/v1/services/${slug}/config/prod`)).body.items[0]).toMatchObject({
        version: 5,
      });
    });

    expect((await admin.post('/admin/replay', { from: new Date().toISOString() })).status).toBe(
      422,
    );
    expect((await admin.post('/admin/replay', { from: 'yesterday' })).status).toBe(400);

    const replay = await admin.post(
      '/admin/replay',
      { from: '1970-01-01T00:00:00Z' },
      { prefer: 'wait=30' },
    );
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({
      status: 'completed',
      consumerGroup: expect.stringContaining('.replay-'),
    });
    expect(replay.body.events).toBeGreaterThan(10);
    expect(replay.body.checksumAfter).toBe(replay.body.checksumBefore);
    expect((await admin.get(replay.headers.get('location')!)).body).toEqual(replay.body);

    // The worker carries on after the rebuild.
    const after = await client.put(
      `/v1/services/${slug}/config/prod/retries`,
      { value: 'after' },
      WAIT,
    );
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ value: 'after', version: 6 });
  });
});
