import { WardenClient, WAIT, type HttpResult } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

/** Every entry the audit answers for a query, newest first, across its pages. */
async function allEntries(client: WardenClient, query: string): Promise<any[]> {
  const entries: any[] = [];
  let cursor: string | null = null;
  do {
    const page: HttpResult = await client.get(
      `/v1/audit?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    entries.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return entries;
}

describe('the audit of admin actions, and an audit that a replay leaves as it was', () => {
  const stack = useStack('admin-audit', {
    env: {
      WARDEN_TOKENS: 'reader:dev-reader,writer:dev-writer:alice,admin:dev-admin:ops-oncall',
    },
  });
  const { client } = stack;
  const admin = client.as('admin');

  async function parkDeadLetter(slug: string, offset: string): Promise<string> {
    const parked = anEnvelope('config.set', { slug, env: 'prod', key: 'timeout', value: 30 });
    const [row] = await stack.env.db
      .insertInto('dead_letters')
      .values({
        event_id: parked.id,
        reason: 'failed 5 times: deadlock',
        original_partition: 3,
        original_offset: offset,
        key: parked.aggregate,
        payload: Buffer.from(JSON.stringify(parked)),
        headers: JSON.stringify({}),
        created_at: new Date(),
      })
      .returning('id')
      .execute();
    return String(row.id);
  }

  it('keeps who redrove or dropped a dead letter, when and why, filterable by type and target', async () => {
    const service = aService();
    const slug = String(service.slug);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    const redriven = await parkDeadLetter(slug, '101');
    const dropped = await parkDeadLetter(slug, '102');
    const before = new Date().toISOString();

    const redrive = await admin.post(`/admin/dlq/${redriven}/redrive`, {
      reason: 'deadlock fixed in 1.4.2',
    });
    expect(redrive.status).toBe(202);
    expect((await admin.delete(`/admin/dlq/${dropped}?reason=duplicate%20of%20101`)).status).toBe(
      204,
    );
    // Refused actions leave no entry.
    expect((await admin.delete(`/admin/dlq/${dropped}?reason=again`)).status).toBe(404);
    expect((await admin.post(`/admin/dlq/${redriven}/redrive`, { reason: 7 })).status).toBe(400);

    const redrives = await client.as('reader').get('/v1/audit?type=admin.dlq.redrive');
    expect(redrives.status).toBe(200);
    expect(redrives.body.items).toEqual([
      expect.objectContaining({
        type: 'admin.dlq.redrive',
        aggregate: `dead-letter:${redriven}`,
        actor: 'ops-oncall',
        reason: 'deadlock fixed in 1.4.2',
        source: 'api',
        actorVerified: true,
        before: expect.objectContaining({
          reason: 'failed 5 times: deadlock',
          key: `service:${slug}`,
          originalOffset: '101',
        }),
        after: { redriveCount: 1 },
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ]);
    expect(redrives.body.items[0].appliedAt >= before).toBe(true);
    const drops = await client.get(`/v1/audit?aggregate=dead-letter:${dropped}`);
    expect(drops.body.items).toEqual([
      expect.objectContaining({
        type: 'admin.dlq.drop',
        actor: 'ops-oncall',
        reason: 'duplicate of 101',
        before: expect.objectContaining({ originalOffset: '102' }),
      }),
    ]);
    expect((await client.get('/v1/audit?type=admin.exploded')).status).toBe(400);
  });

  it('keeps cache invalidations and rebuilds with what they did', async () => {
    const service = aService();
    const slug = String(service.slug);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    expect(
      (
        await admin.post('/admin/cache/invalidate', {
          aggregate: `service:${slug}`,
          reason: 'stale view reported by the edge team',
        })
      ).status,
    ).toBe(200);
    expect((await admin.post('/admin/cache/invalidate', { all: true })).status).toBe(200);
    const rebuild = await admin.post('/admin/cache/rebuild', {
      reason: 'after the Redis failover',
    });
    expect(rebuild.status).toBe(200);
    // A request the API refuses is not an action.
    expect((await admin.post('/admin/cache/invalidate', {})).status).toBe(400);

    const one = await client.get(`/v1/audit?aggregate=cache:service:${slug}`);
    expect(one.body.items).toEqual([
      expect.objectContaining({
        type: 'admin.cache.invalidate',
        actor: 'ops-oncall',
        reason: 'stale view reported by the edge team',
        after: expect.objectContaining({ invalidated: `service:${slug}` }),
      }),
    ]);
    const all = await client.get('/v1/audit?aggregate=cache:all');
    expect(all.body.items.map((e: any) => [e.type, e.reason ?? null])).toEqual([
      ['admin.cache.rebuild', 'after the Redis failover'],
      ['admin.cache.invalidate', null],
    ]);
    expect(all.body.items[0].after).toEqual(rebuild.body);
  });

  it('rebuilds the projections on a replay but keeps the audit as it was, adding the replay itself', async () => {
    const service = aService();
    const slug = String(service.slug);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await client.put(
            `/v1/services/${slug}/config/prod/retries`,
            { value: i, reason: `r${i}` },
            WAIT,
          )
        ).status,
      ).toBe(i === 0 ? 201 : 200);
    }
    const auditBefore = await allEntries(client, '');
    expect(auditBefore.length).toBeGreaterThan(5);

    const replay = await admin.post(
      '/admin/replay',
      { from: '1970-01-01T00:00:00Z', reason: 'checking the fix of #42' },
      { prefer: 'wait=30' },
    );
    expect(replay.status).toBe(200);
    expect(replay.body.status).toBe('completed');

    const auditAfter = await allEntries(client, '');
    // Every entry survives unchanged (same ids, times, sequence), none is written twice,
    // and the replay's own entry is the newest.
    expect(auditAfter.slice(1)).toEqual(auditBefore);
    expect(auditAfter[0]).toMatchObject({
      type: 'admin.replay',
      aggregate: `replay:${replay.body.id}`,
      actor: 'ops-oncall',
      reason: 'checking the fix of #42',
      after: { from: '1970-01-01T00:00:00.000Z', consumerGroup: replay.body.consumerGroup },
    });
    const eventIds = auditAfter.map((e) => e.eventId);
    expect(new Set(eventIds).size).toBe(eventIds.length);

    // The projections were rebuilt: the state reads as before and the worker goes on.
    const config = await client.get(`/v1/services/${slug}/config/prod/retries`);
    expect(config.body).toMatchObject({ value: 2, version: 3 });
    const next = await client.put(`/v1/services/${slug}/config/prod/retries`, { value: 3 }, WAIT);
    expect(next.body).toMatchObject({ version: 4 });
    await eventually(async () => {
      const entries = await allEntries(client, `aggregate=service:${slug}&type=config.set`);
      expect(entries.map((e) => e.version)).toEqual([4, 3, 2, 1]);
    });
  });
});
