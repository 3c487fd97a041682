import { WardenClient, WAIT } from '../support/http-client.js';
import { startStack, type Stack } from '../support/stack.js';
import { aService, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

const ENVIRONMENTS = ['prod', 'staging', 'dev'];

/** What a gateway sees, without what only says when it was computed. */
async function views(client: WardenClient, slugs: string[], environments = ENVIRONMENTS) {
  const seen: Record<string, unknown> = {};
  for (const slug of slugs) {
    for (const environment of environments) {
      const r = await client.as('reader').get(`/v1/services/${slug}/effective?env=${environment}`);
      expect(r.status).toBe(200);
      const { computedAt: _c, version: _v, ...view } = r.body as Record<string, unknown>;
      seen[`${slug}/${environment}`] = view;
    }
  }
  return seen;
}

describe('export and import between two Wardens, end to end', () => {
  let source: Stack;
  let target: Stack;
  const checkout = uniqueSlug('checkout');
  const ledger = uniqueSlug('ledger');

  beforeAll(async () => {
    // One after the other: four cold starts at once can starve a busy machine.
    source = await startStack('transfer-source');
    target = await startStack('transfer-target');
    const { client } = source;
    const write = async (method: 'put' | 'post', path: string, body: unknown) => {
      const r = await client[method](path, body, WAIT);
      expect([200, 201]).toContain(r.status);
    };
    await write('put', '/v1/policies/rate-limit', { spec: { requestsPerSecond: 100, burst: 20 } });
    await write('put', '/v1/policies/circuit-breaker', {
      enabled: false,
      spec: { errorRatePercent: 50, windowSeconds: 10, cooldownSeconds: 30 },
    });
    await write('post', '/v1/services', aService({ slug: checkout, name: 'Checkout' }));
    const {
      description: _d,
      links: _l,
      ...bare
    } = aService({ slug: ledger, name: 'Ledger', tier: 0, tags: [] });
    await write('post', '/v1/services', bare);
    await write('put', `/v1/services/${checkout}/policies/rate-limit`, {
      env: '*',
      enabled: true,
      spec: { requestsPerSecond: 50, burst: 5 },
    });
    await write('put', `/v1/services/${checkout}/policies/rate-limit`, {
      env: 'prod',
      enabled: false,
      spec: { requestsPerSecond: 1, burst: 0 },
    });
    await write('put', `/v1/services/${checkout}/policies/access`, {
      env: 'staging',
      enabled: true,
      spec: { allow: [ledger], deny: [] },
    });
    await write('put', `/v1/services/${checkout}/config/prod/timeouts.upstreamMs`, {
      value: 800,
      description: 'upstream',
    });
    await write('put', `/v1/services/${checkout}/config/prod/timeouts.upstreamMs`, { value: 900 });
    await write('put', `/v1/services/${checkout}/config/prod/flags`, {
      value: { beta: true, regions: ['eu', 'us'] },
    });
    await write('put', `/v1/services/${checkout}/config/staging/flags`, { value: null });
    await write('put', `/v1/services/${ledger}/config/dev/debug`, { value: true });
    // Two deployments start side by side: on a busy machine that takes longer than a test.
  }, 180_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  async function exported(slug: string) {
    const r = await source.client.as('reader').get(`/v1/services/${slug}/export`);
    expect(r.status).toBe(200);
    return r.body as Record<string, any>;
  }

  /** What the source's `GET /v1/export` answers, sent back unchanged (a change message added). */
  async function importDocument() {
    const r = await source.client.as('reader').get('/v1/export');
    expect(r.status).toBe(200);
    return { reason: 'migrate', ...(r.body as { services: any[]; defaults: any[] }) };
  }

  it('exports every service, or those of one owner or tag, always with the global defaults', async () => {
    const all = (await source.client.as('reader').get('/v1/export')).body;
    expect(all.services).toEqual([await exported(checkout), await exported(ledger)]);
    expect(all.defaults).toEqual([
      {
        type: 'circuit-breaker',
        enabled: false,
        spec: { errorRatePercent: 50, windowSeconds: 10, cooldownSeconds: 30 },
      },
      { type: 'rate-limit', enabled: true, spec: { requestsPerSecond: 100, burst: 20 } },
    ]);
    const tagged = (await source.client.get('/v1/export?tag=payments')).body;
    expect(tagged.services.map((s: any) => s.service.slug)).toEqual([checkout]);
    expect(tagged.defaults).toEqual(all.defaults);
    const owned = (await source.client.get('/v1/export?owner=team-commerce')).body;
    expect(owned.services.map((s: any) => s.service.slug)).toEqual([checkout, ledger]);
    expect((await source.client.get('/v1/export?owner=team-nobody')).body.services).toEqual([]);
    expect((await source.client.get('/v1/export?owner=Not%20A%20Team')).status).toBe(400);
  });

  it("exports a service's fields, policies and configuration of every environment as one document", async () => {
    const document = await exported(checkout);
    expect(Object.keys(document).sort()).toEqual(['config', 'policies', 'service']);
    expect(document.service).toEqual({
      slug: checkout,
      name: 'Checkout',
      owner: 'team-commerce',
      tier: 1,
      lifecycle: 'production',
      tags: ['payments'],
      links: [{ title: 'Runbook', url: 'https://runbooks.example.com/checkout' }],
      description: 'Takes the money',
    });
    expect(document.policies).toEqual([
      { type: 'access', env: 'staging', enabled: true, spec: { allow: [ledger], deny: [] } },
      { type: 'rate-limit', env: '*', enabled: true, spec: { requestsPerSecond: 50, burst: 5 } },
      { type: 'rate-limit', env: 'prod', enabled: false, spec: { requestsPerSecond: 1, burst: 0 } },
    ]);
    expect(document.config).toEqual([
      { env: 'prod', key: 'flags', value: { beta: true, regions: ['eu', 'us'] } },
      { env: 'prod', key: 'timeouts.upstreamMs', value: 900 },
      { env: 'staging', key: 'flags', value: null },
    ]);
    const response = await source.client.get(`/v1/services/${checkout}/export`);
    expect(
      (
        await source.client.get(`/v1/services/${checkout}/export`, {
          'if-none-match': response.headers.get('etag')!,
        })
      ).status,
    ).toBe(304);
    expect((await source.client.get(`/v1/services/${uniqueSlug('ghost')}/export`)).status).toBe(
      404,
    );
  });

  it('answers a dry run with what would change and changes nothing', async () => {
    const dryRun = await target.client.post('/v1/import?dryRun=true', await importDocument());
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.dryRun).toBe(true);
    expect(dryRun.body.summary).toEqual({ create: 11, update: 0, unchanged: 0 });
    expect(dryRun.body.changes.slice(0, 3)).toEqual([
      { resource: 'default-policy', type: 'circuit-breaker', action: 'create' },
      { resource: 'default-policy', type: 'rate-limit', action: 'create' },
      { resource: 'service', slug: checkout, action: 'create' },
    ]);
    expect((await target.client.get(`/v1/services/${checkout}`)).status).toBe(404);
    expect((await target.client.get('/v1/policies')).body.items).toEqual([]);
  });

  it('refuses a document with a bad field, naming it, and imports nothing', async () => {
    const document = await importDocument();
    document.services[0].policies[1].spec.burst = -1;
    document.services[1].service.colour = 'blue';
    const refused = await target.client.post('/v1/import', document);
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'services.1.service.colour',
    ]);
    delete document.services[1].service.colour;
    const spec = await target.client.post('/v1/import', document);
    expect(spec.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'services.0.policies.1.spec.burst',
    ]);
    expect(
      (await target.client.as('reader').post('/v1/import', await importDocument())).status,
    ).toBe(403);
    expect(
      (await target.client.post('/v1/import?dryRun=maybe', await importDocument())).body.errors[0]
        .field,
    ).toBe('dryRun');
    expect((await target.client.get(`/v1/services/${checkout}`)).status).toBe(404);
  });

  it('imports into an empty Warden and reproduces the same effective views and exports', async () => {
    const imported = await target.client.post('/v1/import', await importDocument(), {
      prefer: 'wait=20',
    });
    expect(imported.status).toBe(200);
    expect(imported.headers.get('preference-applied')).toBe('wait=20');
    expect(imported.body.summary).toEqual({ create: 11, update: 0, unchanged: 0 });
    expect(imported.body.changes.map((c: { status: string }) => c.status)).toEqual(
      Array(11).fill('applied'),
    );

    const slugs = [checkout, ledger];
    const expected = await views(source.client, slugs);
    await eventually(async () => expect(await views(target.client, slugs)).toEqual(expected));
    for (const slug of slugs) {
      const again = await target.client.get(`/v1/services/${slug}/export`);
      expect(again.body).toEqual(await exported(slug));
    }
    const audit = await target.client.get(`/v1/audit?aggregate=service:${checkout}&actor=alice`);
    expect(audit.body.items).toHaveLength(7);
    expect(audit.body.items.every((e: { reason: string }) => e.reason === 'migrate')).toBe(true);
  });

  it('finds nothing to change when the same document is imported again', async () => {
    const again = await target.client.post('/v1/import', await importDocument(), {
      prefer: 'wait=20',
    });
    expect(again.status).toBe(200);
    expect(again.body.summary).toEqual({ create: 0, update: 0, unchanged: 11 });
    expect(again.body.changes.every((c: Record<string, unknown>) => c.eventId === undefined)).toBe(
      true,
    );
  });

  it('updates only what differs, as events that expect the versions it saw', async () => {
    const document = await importDocument();
    document.services[0].service.tier = 3;
    document.services[0].policies[0].spec.allow = [];
    document.services[0].config[1].value = 1000;
    document.services[1].config.push({ env: 'prod', key: 'debug', value: false });

    const dryRun = await target.client.post('/v1/import?dryRun=true', document);
    const changed = dryRun.body.changes.filter((c: { action: string }) => c.action !== 'unchanged');
    expect(changed).toEqual([
      { resource: 'service', slug: checkout, action: 'update' },
      { resource: 'policy', slug: checkout, type: 'access', env: 'staging', action: 'update' },
      {
        resource: 'config',
        slug: checkout,
        env: 'prod',
        key: 'timeouts.upstreamMs',
        action: 'update',
      },
      { resource: 'config', slug: ledger, env: 'prod', key: 'debug', action: 'create' },
    ]);
    expect(dryRun.body.summary).toEqual({ create: 1, update: 3, unchanged: 8 });
    const diffs = dryRun.body.services;
    expect(diffs.map((d: { slug: string }) => d.slug)).toEqual([checkout, ledger]);
    expect(diffs[0].before).toEqual(await exported(checkout));
    expect(diffs[0].after.service.tier).toBe(3);
    expect(diffs[1].after.config).toEqual([
      { env: 'dev', key: 'debug', value: true },
      { env: 'prod', key: 'debug', value: false },
    ]);

    const applied = await target.client.post('/v1/import', document);
    expect(applied.status).toBe(202);
    const ids = applied.body.changes
      .filter((c: { eventId?: string }) => c.eventId)
      .map((c: { eventId: string }) => c.eventId);
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      await eventually(async () =>
        expect((await target.client.get(`/v1/events/${id}`)).body.status).toBe('applied'),
      );
    }
    const service = await target.client.get(`/v1/services/${checkout}`);
    expect(service.body).toMatchObject({ tier: 3, version: 2 });
    const entry = await target.client.get(
      `/v1/services/${checkout}/config/prod/timeouts.upstreamMs`,
    );
    expect(entry.body).toMatchObject({ value: 1000, version: 2 });
  });

  it("imports one service's export unchanged, renaming environments as envMap says", async () => {
    const single = { ...(await exported(checkout)), envMap: { prod: 'qa' } };
    const dryRun = await target.client.post('/v1/import?dryRun=true', single);
    expect(dryRun.status).toBe(200);
    const created = dryRun.body.changes.filter((c: { action: string }) => c.action === 'create');
    expect(created).toEqual([
      { resource: 'policy', slug: checkout, type: 'rate-limit', env: 'qa', action: 'create' },
      { resource: 'config', slug: checkout, env: 'qa', key: 'flags', action: 'create' },
      {
        resource: 'config',
        slug: checkout,
        env: 'qa',
        key: 'timeouts.upstreamMs',
        action: 'create',
      },
    ]);
    expect((await target.client.get(`/v1/services/${checkout}/config/qa`)).body.items).toEqual([]);

    const imported = await target.client.post('/v1/import', single, { prefer: 'wait=20' });
    expect(imported.status).toBe(200);
    const qa = await views(target.client, [checkout], ['qa']);
    const prod = await views(source.client, [checkout], ['prod']);
    expect(qa[`${checkout}/qa`]).toEqual(prod[`${checkout}/prod`]);

    const bad = await target.client.post('/v1/import', {
      ...(await exported(checkout)),
      config: [
        { env: 'prod', key: 'x', value: 1 },
        { env: 'prod', key: 'x', value: 2 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['config.1']);
    expect((await target.client.post('/v1/import', { envMap: { prod: 'qa' } })).status).toBe(400);
  });

  it('keeps the workers healthy throughout', async () => {
    for (const { worker } of [source, target])
      expect((await fetch(`${worker.baseUrl}/health/ready`)).status).toBe(200);
  });
});
