import { WAIT } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

const RATE = (requestsPerSecond: number, burst = 0) => ({ requestsPerSecond, burst });
const QUOTA = { limit: 1000, period: 'day' };
const fieldsOf = (body: { errors?: { field: string }[] }) => [
  ...new Set((body.errors ?? []).map((e) => e.field)),
];

describe('governance: policies, configuration, effective view and audit, end to end', () => {
  const stack = useStack('governance');
  const { client } = stack;

  async function registered(overrides: Record<string, unknown> = {}): Promise<string> {
    const service = aService(overrides);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  }

  const produce = (envelope: { aggregate: string }) => stack.env.produce(envelope);

  /** Waits for the worker's verdict on an event and answers its status document. */
  async function settled(eventId: string): Promise<Record<string, unknown>> {
    return eventually(
      async () => {
        const r = await client.as('reader').get(`/v1/events/${eventId}`);
        expect(['applied', 'rejected', 'dead-lettered']).toContain(r.body.status);
        return r.body as Record<string, unknown>;
      },
      { timeoutMs: 20_000 },
    );
  }

  const effective = (slug: string, environment: string, headers?: Record<string, string>) =>
    client.as('reader').get(`/v1/services/${slug}/effective?env=${environment}`, headers);

  describe('policies over HTTP', () => {
    it('sets a global default (201, then 200 with the next version) and lists the defaults', async () => {
      const first = await client.put(
        '/v1/policies/circuit-breaker',
        {
          spec: { errorRatePercent: 50, windowSeconds: 30, cooldownSeconds: 60 },
          reason: 'baseline',
        },
        WAIT,
      );
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ type: 'circuit-breaker', enabled: true, version: 1 });
      expect(first.headers.get('etag')).toBe('"1"');
      expect(first.headers.get('location')).toBe('/v1/policies/circuit-breaker');

      const second = await client.put(
        '/v1/policies/circuit-breaker',
        {
          enabled: true,
          spec: { errorRatePercent: 40, windowSeconds: 30, cooldownSeconds: 60 },
        },
        { ...WAIT, 'if-match': '"1"' },
      );
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ version: 2, spec: { errorRatePercent: 40 } });

      const one = await client.as('reader').get('/v1/policies/circuit-breaker');
      expect(one.body).toMatchObject({ version: 2 });
      const all = await client.as('reader').get('/v1/policies');
      expect(all.body.items.map((p: { type: string }) => p.type)).toContain('circuit-breaker');
      const unchanged = await client
        .as('reader')
        .get('/v1/policies', { 'if-none-match': all.headers.get('etag')! });
      expect(unchanged.status).toBe(304);
    });

    it("sets, lists and removes a service's overrides", async () => {
      const slug = await registered();
      const star = await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: '*', enabled: true, spec: RATE(50, 10) },
        WAIT,
      );
      expect(star.status).toBe(201);
      expect(star.body).toMatchObject({
        slug,
        type: 'rate-limit',
        env: '*',
        enabled: true,
        spec: RATE(50, 10),
        version: 1,
      });
      const prod = await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: 'prod', enabled: false, spec: RATE(5) },
        WAIT,
      );
      expect(prod.status).toBe(201);
      const again = await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: 'prod', enabled: true, spec: RATE(5) },
        WAIT,
      );
      expect(again).toMatchObject({ status: 200, body: { version: 2, enabled: true } });

      const list = await client.as('reader').get(`/v1/services/${slug}/policies`);
      expect(list.status).toBe(200);
      expect(
        list.body.items.map((p: { env: string; version: number }) => [p.env, p.version]),
      ).toEqual([
        ['*', 1],
        ['prod', 2],
      ]);
      expect(
        (
          await client.get(`/v1/services/${slug}/policies`, {
            'if-none-match': list.headers.get('etag')!,
          })
        ).status,
      ).toBe(304);

      const removed = await client.request(
        'DELETE',
        `/v1/services/${slug}/policies/rate-limit?env=prod`,
        {
          body: { reason: 'no longer needed' },
          headers: WAIT,
        },
      );
      expect(removed.status).toBe(204);
      const after = await client.get(`/v1/services/${slug}/policies`);
      expect(after.body.items.map((p: { env: string }) => p.env)).toEqual(['*']);
      expect(after.headers.get('etag')).not.toBe(list.headers.get('etag'));
    });

    it('rejects a policy for an unknown service, the removal of a missing override and a stale If-Match', async () => {
      const ghost = uniqueSlug('ghost');
      const unknown = await client.put(
        `/v1/services/${ghost}/policies/quota`,
        { env: '*', enabled: true, spec: QUOTA },
        WAIT,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toBe(`service ${ghost} does not exist`);
      expect(await settled(unknown.body.eventId)).toMatchObject({
        status: 'rejected',
        reason: `service ${ghost} does not exist`,
      });

      const slug = await registered();
      const missing = await client.request('DELETE', `/v1/services/${slug}/policies/quota?env=*`, {
        headers: WAIT,
      });
      expect(missing.status).toBe(404);

      await client.put(
        `/v1/services/${slug}/policies/quota`,
        { env: '*', enabled: true, spec: QUOTA },
        WAIT,
      );
      const stale = await client.put(
        `/v1/services/${slug}/policies/quota`,
        { env: '*', enabled: false, spec: QUOTA },
        {
          ...WAIT,
          'if-match': '"7"',
        },
      );
      expect(stale.status).toBe(409);
      expect(await settled(stale.body.eventId)).toMatchObject({
        status: 'rejected',
        reason: expect.stringMatching(/version 1/),
      });
    });

    it.each([
      [
        'a spec out of bounds',
        'rate-limit',
        { env: '*', enabled: true, spec: RATE(10, -1) },
        ['spec.burst'],
      ],
      [
        'a spec of the wrong type',
        'quota',
        { env: '*', enabled: true, spec: RATE(10) },
        ['spec.limit', 'spec.period', 'spec.requestsPerSecond', 'spec.burst'],
      ],
      [
        'an unknown spec field',
        'circuit-breaker',
        {
          env: 'prod',
          enabled: true,
          spec: { errorRatePercent: 5, windowSeconds: 1, cooldownSeconds: 1, jitter: 1 },
        },
        ['spec.jitter'],
      ],
      [
        'a bad access entry',
        'access',
        { env: 'prod', enabled: true, spec: { allow: ['Bad Slug'], deny: [] } },
        ['spec.allow'],
      ],
      ['a bad env', 'quota', { env: 'PROD', enabled: true, spec: QUOTA }, ['env']],
      ['enabled as a string', 'quota', { env: '*', enabled: 'yes', spec: QUOTA }, ['enabled']],
      [
        'an unknown field',
        'quota',
        { env: '*', enabled: true, spec: QUOTA, priority: 1 },
        ['priority'],
      ],
    ])('answers 400 naming the field for %s', async (_label, type, body, fields) => {
      const slug = uniqueSlug();
      const response = await client.put(`/v1/services/${slug}/policies/${type}`, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(fieldsOf(response.body).sort()).toEqual([...fields].sort());
    });

    it.each([
      ['a service', (slug: string) => `/v1/services/${slug}`],
      ['a policy override', (slug: string) => `/v1/services/${slug}/policies/quota?env=*`],
      ['a configuration entry', (slug: string) => `/v1/services/${slug}/config/prod/limit`],
    ])(
      'answers 400 for the removal of %s with a bad reason or an unknown body field',
      async (_label, path) => {
        const slug = await registered();
        for (const [body, field] of [
          [{ reason: 42 }, 'reason'],
          [{ reason: 'x'.repeat(1001) }, 'reason'],
          [{ reason: 'cleanup', force: true }, 'force'],
        ] as const) {
          const response = await client.request('DELETE', path(slug), { body, headers: WAIT });
          expect({ body, status: response.status, fields: fieldsOf(response.body) }).toEqual({
            body,
            status: 400,
            fields: [field],
          });
        }
        expect((await client.get(`/v1/services/${slug}`)).status).toBe(200);
      },
    );

    it('answers 400 for an unknown policy type, a missing env on removal and a bad default spec', async () => {
      const slug = uniqueSlug();
      expect(
        fieldsOf(
          (
            await client.put(`/v1/services/${slug}/policies/retry`, {
              env: '*',
              enabled: true,
              spec: {},
            })
          ).body,
        ),
      ).toEqual(['type']);
      expect(fieldsOf((await client.delete(`/v1/services/${slug}/policies/quota`)).body)).toEqual([
        'env',
      ]);
      expect(
        fieldsOf(
          (await client.put('/v1/policies/quota', { spec: { limit: 0, period: 'day' } })).body,
        ),
      ).toEqual(['spec.limit']);
      expect((await client.as('reader').put('/v1/policies/quota', { spec: QUOTA })).status).toBe(
        403,
      );
    });
  });

  describe('configuration over HTTP', () => {
    it('versions every change, keeps the history, rolls back, and deletes keeping the history', async () => {
      const slug = await registered();
      const path = `/v1/services/${slug}/config/prod/timeouts.upstreamMs`;
      const created = await client.put(
        path,
        { value: 800, description: 'upstream', reason: 'first' },
        WAIT,
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        slug,
        env: 'prod',
        key: 'timeouts.upstreamMs',
        value: 800,
        version: 1,
      });
      const changed = await client.put(
        path,
        { value: { ms: 1200, retries: 2 } },
        { ...WAIT, 'if-match': '"1"' },
      );
      expect(changed).toMatchObject({
        status: 200,
        body: { version: 2, value: { ms: 1200, retries: 2 } },
      });
      expect(changed.body).not.toHaveProperty('description');

      const entry = await client.as('reader').get(path);
      expect(entry).toMatchObject({ status: 200, body: { version: 2 } });
      expect(entry.headers.get('etag')).toBe('"2"');
      await client.put(`/v1/services/${slug}/config/prod/feature.beta`, { value: null }, WAIT);
      const listing = await client.as('reader').get(`/v1/services/${slug}/config/prod`);
      expect(
        listing.body.items.map((e: { key: string; value: unknown; version: number }) => [
          e.key,
          e.value,
          e.version,
        ]),
      ).toEqual([
        ['feature.beta', null, 1],
        ['timeouts.upstreamMs', { ms: 1200, retries: 2 }, 2],
      ]);
      expect(
        (await client.as('reader').get(`/v1/services/${slug}/config/staging`)).body.items,
      ).toEqual([]);

      const rolledBack = await client.post(
        `${path}/rollback`,
        { toVersion: 1, reason: 'bad deploy' },
        WAIT,
      );
      expect(rolledBack.status).toBe(200);
      expect(rolledBack.body).toMatchObject({ value: 800, description: 'upstream', version: 3 });
      const history = await client.as('reader').get(`${path}/history`);
      expect(
        history.body.items.map((h: { version: number; change: string; value: unknown }) => [
          h.version,
          h.change,
          h.value,
        ]),
      ).toEqual([
        [3, 'rolled-back to 1', 800],
        [2, 'set', { ms: 1200, retries: 2 }],
        [1, 'set', 800],
      ]);

      expect((await client.request('DELETE', path, { headers: WAIT })).status).toBe(204);
      expect((await client.get(path)).status).toBe(404);
      expect((await client.get(`${path}/history`)).body.items).toHaveLength(3);
      const restored = await client.post(`${path}/rollback`, { toVersion: 2 }, WAIT);
      expect(restored.body).toMatchObject({ value: { ms: 1200, retries: 2 }, version: 4 });
    });

    it('rejects a rollback to a version that does not exist, with the reason at the event', async () => {
      const slug = await registered();
      const path = `/v1/services/${slug}/config/prod/limit`;
      await client.put(path, { value: 1 }, WAIT);
      const rejected = await client.post(`${path}/rollback`, { toVersion: 9 }, WAIT);
      expect(rejected.status).toBe(422);
      expect(await settled(rejected.body.eventId)).toMatchObject({
        status: 'rejected',
        reason: `config limit (prod) of ${slug} has no version 9 to roll back to`,
      });
      const unknown = await client.put(
        `/v1/services/${uniqueSlug('ghost')}/config/prod/x`,
        { value: 1 },
        WAIT,
      );
      expect(unknown.status).toBe(404);
      expect((await client.get(`/v1/services/${slug}/config/prod/never/history`)).status).toBe(404);
    });

    it('takes keys of up to 128 characters and values of up to 64 KiB', async () => {
      const slug = await registered();
      const longKey = 'k'.repeat(128);
      const put = await client.put(
        `/v1/services/${slug}/config/prod/${longKey}`,
        { value: 'x'.repeat(64 * 1024 - 2) },
        WAIT,
      );
      expect(put.status).toBe(201);
      expect((await client.get(`/v1/services/${slug}/config/prod/${longKey}`)).status).toBe(200);
    });

    it.each([
      ['a key that is too long', `prod/${'k'.repeat(129)}`, { value: 1 }, ['key']],
      ['a key with a space', 'prod/has%20space', { value: 1 }, ['key']],
      ['a bad environment', 'PROD/timeout', { value: 1 }, ['env']],
      ['a missing value', 'prod/timeout', { description: 'none' }, ['value']],
      ['no body at all', 'prod/timeout', undefined, ['value']],
      ['a value over 64 KiB', 'prod/timeout', { value: 'x'.repeat(64 * 1024) }, ['value']],
      ['an unknown field', 'prod/timeout', { value: 1, ttl: 60 }, ['ttl']],
    ])('answers 400 naming the field for %s', async (_label, tail, body, fields) => {
      const response = await client.put(`/v1/services/${uniqueSlug()}/config/${tail}`, body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual(fields);
    });

    it('answers 400 naming toVersion for a bad rollback', async () => {
      const response = await client.post(
        `/v1/services/${uniqueSlug()}/config/prod/timeout/rollback`,
        { toVersion: 0 },
      );
      expect(fieldsOf(response.body)).toEqual(['toVersion']);
    });
  });

  describe('the effective view', () => {
    it('merges service+env over service+* over the global default; a disabled winner hides the type', async () => {
      await client.put('/v1/policies/rate-limit', { spec: RATE(100) }, WAIT);
      const slug = await registered();
      const policies = async (environment: string) => {
        const r = await effective(slug, environment);
        expect(r.status).toBe(200);
        return r.body.policies as Record<string, unknown>;
      };
      await eventually(async () =>
        expect((await policies('prod'))['rate-limit']).toEqual(RATE(100)),
      );

      await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: '*', enabled: true, spec: RATE(50) },
        WAIT,
      );
      await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: 'prod', enabled: true, spec: RATE(10) },
        WAIT,
      );
      await eventually(async () =>
        expect((await policies('prod'))['rate-limit']).toEqual(RATE(10)),
      );
      expect((await policies('staging'))['rate-limit']).toEqual(RATE(50));

      await client.put(
        `/v1/services/${slug}/policies/rate-limit`,
        { env: '*', enabled: false, spec: RATE(50) },
        WAIT,
      );
      await eventually(async () =>
        expect(await policies('staging')).not.toHaveProperty('rate-limit'),
      );
      expect((await policies('prod'))['rate-limit']).toEqual(RATE(10));

      await client.request('DELETE', `/v1/services/${slug}/policies/rate-limit?env=*`, {
        headers: WAIT,
      });
      await eventually(async () =>
        expect((await policies('staging'))['rate-limit']).toEqual(RATE(100)),
      );
    });

    it('answers the service, its policies and its configuration for the environment', async () => {
      const slug = await registered({ name: 'Ledger', tags: ['core'] });
      await client.put(`/v1/services/${slug}/config/prod/timeout`, { value: 800 }, WAIT);
      await client.put(`/v1/services/${slug}/config/staging/timeout`, { value: 5000 }, WAIT);
      await client.put(
        `/v1/services/${slug}/policies/quota`,
        { env: 'prod', enabled: true, spec: QUOTA },
        WAIT,
      );
      const view = await eventually(async () => {
        const r = await effective(slug, 'prod');
        expect(r.body.config).toEqual({ timeout: 800 });
        return r;
      });
      expect(view.headers.get('content-type')).toMatch(/application\/json/);
      expect(view.body).toMatchObject({
        service: {
          slug,
          name: 'Ledger',
          owner: 'team-commerce',
          tier: 1,
          lifecycle: 'production',
          tags: ['core'],
        },
        policies: { quota: QUOTA, 'rate-limit': RATE(100) },
        config: { timeout: 800 },
        version: expect.any(Number),
        computedAt: expect.any(String),
      });
      expect(view.body.service).not.toHaveProperty('links');
      expect((await effective(slug, 'dev')).body.config).toEqual({});
    });

    it('changes its ETag after a change to each input, and keeps it otherwise', async () => {
      const slug = await registered();
      const other = await registered();
      const etagNow = async () => (await effective(slug, 'prod')).headers.get('etag')!;
      const changesAfter = async (
        label: string,
        write: () => Promise<{ status: number }>,
        previous: string,
      ) => {
        expect([200, 201, 204]).toContain((await write()).status);
        return eventually(async () => {
          const next = await etagNow();
          expect({ label, changed: next !== previous }).toEqual({ label, changed: true });
          return next;
        });
      };

      let etag = await etagNow();
      expect(etag).toMatch(/^"e\d+\.\d+"$/);
      expect(await etagNow()).toBe(etag);
      const notModified = await effective(slug, 'prod', { 'if-none-match': etag });
      expect(notModified.status).toBe(304);
      await client.patch(`/v1/services/${other}`, { tier: 0 }, WAIT);
      await client.put(`/v1/services/${other}/config/prod/x`, { value: 1 }, WAIT);
      expect(await etagNow()).toBe(etag);

      const versionBefore = (await effective(slug, 'prod')).body.version as number;
      etag = await changesAfter(
        'service',
        () => client.patch(`/v1/services/${slug}`, { tier: 2 }, WAIT),
        etag,
      );
      etag = await changesAfter(
        'override',
        () =>
          client.put(
            `/v1/services/${slug}/policies/quota`,
            { env: '*', enabled: true, spec: QUOTA },
            WAIT,
          ),
        etag,
      );
      const breaker = { errorRatePercent: 30, windowSeconds: 30, cooldownSeconds: 60 };
      etag = await changesAfter(
        'global default',
        () => client.put('/v1/policies/circuit-breaker', { spec: breaker }, WAIT),
        etag,
      );
      etag = await changesAfter(
        'configuration',
        () => client.put(`/v1/services/${slug}/config/prod/timeout`, { value: 1 }, WAIT),
        etag,
      );
      expect(await etagNow()).toBe(etag);
      expect((await effective(slug, 'prod')).body.version).toBeGreaterThan(versionBefore);
    });

    it('answers 400 for a missing or bad env and 404 for a service that does not exist or was deleted', async () => {
      const slug = await registered();
      await client.put(
        `/v1/services/${slug}/policies/quota`,
        { env: '*', enabled: true, spec: QUOTA },
        WAIT,
      );
      await client.put(`/v1/services/${slug}/config/prod/timeout`, { value: 1 }, WAIT);
      expect(fieldsOf((await client.get(`/v1/services/${slug}/effective`)).body)).toEqual(['env']);
      expect(fieldsOf((await client.get(`/v1/services/${slug}/effective?env=*`)).body)).toEqual([
        'env',
      ]);
      expect(
        fieldsOf((await client.get(`/v1/services/${slug}/effective?env=prod&extra=1`)).body),
      ).toEqual(['extra']);
      expect((await effective(uniqueSlug('ghost'), 'prod')).status).toBe(404);

      expect((await effective(slug, 'prod')).status).toBe(200);
      expect((await client.delete(`/v1/services/${slug}`, WAIT)).status).toBe(204);
      await eventually(async () => expect((await effective(slug, 'prod')).status).toBe(404));
      expect((await client.get(`/v1/services/${slug}/policies`)).status).toBe(404);
      expect((await client.get(`/v1/services/${slug}/config/prod`)).status).toBe(404);
    });
  });

  describe('the audit', () => {
    it('records each applied change with the actor, the reason and the state before and after', async () => {
      const slug = await registered();
      await client.patch(`/v1/services/${slug}`, { tier: 3, reason: 'promoted' }, WAIT);
      await client.put(
        `/v1/services/${slug}/config/prod/timeout`,
        { value: 5, reason: 'tuning' },
        WAIT,
      );
      await client.put(`/v1/services/${slug}/config/prod/timeout`, { value: 6 }, WAIT);

      const page = await client.as('reader').get(`/v1/audit?aggregate=service:${slug}`);
      expect(page.status).toBe(200);
      expect(page.body.items.map((e: { type: string }) => e.type)).toEqual([
        'config.set',
        'config.set',
        'service.updated',
        'service.registered',
      ]);
      const [latest, tuning, promoted, registration] = page.body.items;
      expect(latest).toMatchObject({
        actor: 'alice',
        before: { value: 5 },
        after: { value: 6, version: 2 },
        version: 2,
      });
      expect(latest).not.toHaveProperty('reason');
      expect(tuning).toMatchObject({ reason: 'tuning', before: null, after: { value: 5 } });
      expect(promoted).toMatchObject({
        reason: 'promoted',
        before: { tier: 1 },
        after: { tier: 3 },
      });
      expect(registration).toMatchObject({
        eventId: expect.any(String),
        aggregate: `service:${slug}`,
        before: null,
      });
      expect(Date.parse(registration.appliedAt)).toBeGreaterThanOrEqual(
        Date.parse(registration.occurredAt),
      );
    });

    it('filters by type, actor and time, and pages with an opaque cursor', async () => {
      const slug = await registered();
      const since = new Date().toISOString();
      for (let i = 0; i < 5; i++)
        await client.put(`/v1/services/${slug}/config/prod/k${i}`, { value: i }, WAIT);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/v1/audit?aggregate=service:${slug}&type=config.set&actor=alice&since=${since}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await client.as('reader').get(query);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((e: { after: { key: string } }) => e.after.key));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(['k4', 'k3', 'k2', 'k1', 'k0']);
      expect(
        (await client.get(`/v1/audit?aggregate=service:${slug}&actor=somebody-else`)).body.items,
      ).toEqual([]);
      expect(
        (await client.get(`/v1/audit?aggregate=service:${slug}&until=${since}&type=config.set`))
          .body.items,
      ).toEqual([]);
    });

    it.each([
      ['limit=500', 'limit'],
      ['limit=0', 'limit'],
      ['type=service.exploded', 'type'],
      ['since=yesterday', 'since'],
      ['aggregate=checkout', 'aggregate'],
      ['cursor=not-ours', 'cursor'],
      ['colour=blue', 'colour'],
      ['since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
    ])('answers 400 naming the field for %s', async (query, field) => {
      const response = await client.as('reader').get(`/v1/audit?${query}`);
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual([field]);
    });
  });

  describe('outside producers on raw Kafka', () => {
    it('applies every event type from an outside producer, audited under its actor', async () => {
      const slug = uniqueSlug('kafka');
      const key = { slug, env: 'prod', key: 'timeout' };
      const envelopes = [
        anEnvelope('service.registered', aService({ slug })),
        anEnvelope('service.updated', { slug, tier: 0 }),
        anEnvelope('policy.set', { slug, type: 'quota', env: '*', enabled: true, spec: QUOTA }),
        anEnvelope('policy.set', {
          slug,
          type: 'access',
          env: 'prod',
          enabled: true,
          spec: { allow: ['billing'], deny: [] },
        }),
        anEnvelope('default-policy.set', {
          type: 'quota',
          enabled: true,
          spec: { limit: 1, period: 'minute' },
        }),
        anEnvelope('config.set', { ...key, value: 100 }),
        anEnvelope('config.set', { ...key, value: 200 }),
        anEnvelope('config.rolled-back', { ...key, toVersion: 1, reason: 'from the pipeline' }),
        anEnvelope('policy.removed', { slug, type: 'access', env: 'prod' }),
      ];
      for (const envelope of envelopes) {
        await produce(envelope);
        expect(await settled(envelope.id)).toMatchObject({
          status: 'applied',
          aggregate: envelope.aggregate,
        });
      }
      const view = await eventually(async () => {
        const r = await effective(slug, 'prod');
        expect(r.body.config).toEqual({ timeout: 100 });
        return r.body;
      });
      expect(view.service.tier).toBe(0);
      expect(view.policies.quota).toEqual(QUOTA);
      expect(view.policies).not.toHaveProperty('access');
      expect((await client.get(`/v1/services/${slug}/config/prod/timeout`)).body.version).toBe(3);
      expect((await client.get('/v1/policies/quota')).body.spec).toEqual({
        limit: 1,
        period: 'minute',
      });

      const audit = await client.get(`/v1/audit?aggregate=service:${slug}&actor=ci-pipeline`);
      expect(audit.body.items).toHaveLength(8);
      expect(audit.body.items[1]).toMatchObject({
        type: 'config.rolled-back',
        reason: 'from the pipeline',
      });

      await produce(anEnvelope('config.deleted', key));
      const deletion = anEnvelope('service.deleted', { slug });
      await produce(deletion);
      expect(await settled(deletion.id)).toMatchObject({ status: 'applied' });
      await eventually(async () => expect((await effective(slug, 'prod')).status).toBe(404));
      const removals = await client.get(`/v1/audit?aggregate=service:${slug}&type=config.deleted`);
      expect(removals.body.items).toHaveLength(1);
    });

    it('rejects what breaks a rule, with the reason at GET /v1/events/{id}', async () => {
      const slug = await registered();
      const ghost = uniqueSlug('ghost');
      const cases: [ReturnType<typeof anEnvelope>, string | RegExp][] = [
        [
          anEnvelope('policy.set', {
            slug: ghost,
            type: 'quota',
            env: '*',
            enabled: true,
            spec: QUOTA,
          }),
          `service ${ghost} does not exist`,
        ],
        [
          anEnvelope('config.rolled-back', { slug, env: 'prod', key: 'never', toVersion: 3 }),
          `config never (prod) of ${slug} has no version 3 to roll back to`,
        ],
        [
          anEnvelope('service.updated', { slug, tier: 2 }, { expectedVersion: 5 }),
          `service ${slug} is at version 1, the write expected version 5`,
        ],
        [anEnvelope('service.registered', aService({ slug })), `service ${slug} already exists`],
        [
          anEnvelope('policy.removed', { slug, type: 'quota', env: 'prod' }),
          `${slug} has no quota policy for env prod`,
        ],
      ];
      for (const [envelope] of cases) await produce(envelope);
      for (const [envelope, reason] of cases) {
        expect(await settled(envelope.id)).toMatchObject({ status: 'rejected', reason });
      }
      expect((await client.get(`/v1/services/${slug}`)).body).toMatchObject({
        version: 1,
        tier: 1,
      });
    });

    it('dead-letters an envelope whose spec breaks its type, naming the field', async () => {
      const slug = await registered();
      const invalid = anEnvelope('policy.set', {
        slug,
        type: 'rate-limit',
        env: '*',
        enabled: true,
        spec: RATE(10, -1),
      });
      await produce(invalid);
      expect(await settled(invalid.id)).toMatchObject({
        status: 'dead-lettered',
        reason: expect.stringMatching(/data\.spec\.burst/),
      });
      expect((await client.get(`/v1/services/${slug}/policies`)).body.items).toEqual([]);
    });
  });

  describe('the HTTP documentation', () => {
    it('serves the OpenAPI document and Swagger UI without a token', async () => {
      const ui = await client.as('none').get('/docs');
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toMatch(/text\/html/);
      const response = await client.as('none').get('/docs/openapi.json');
      expect(response.status).toBe(200);
      expect(response.body.openapi).toMatch(/^3\./);
    });

    it('documents every endpoint of the contract with its shapes, errors and required role', async () => {
      const { body: document } = await client.as('none').get('/docs/openapi.json');
      const expected: [string, string, string][] = [
        ['post', '/v1/services', 'writer'],
        ['get', '/v1/services', 'reader'],
        ['get', '/v1/services/{slug}', 'reader'],
        ['patch', '/v1/services/{slug}', 'writer'],
        ['delete', '/v1/services/{slug}', 'writer'],
        ['put', '/v1/policies/{type}', 'writer'],
        ['put', '/v1/services/{slug}/policies/{type}', 'writer'],
        ['delete', '/v1/services/{slug}/policies/{type}', 'writer'],
        ['get', '/v1/services/{slug}/policies', 'reader'],
        ['put', '/v1/services/{slug}/config/{env}/{key}', 'writer'],
        ['get', '/v1/services/{slug}/config/{env}', 'reader'],
        ['get', '/v1/services/{slug}/config/{env}/{key}/history', 'reader'],
        ['post', '/v1/services/{slug}/config/{env}/{key}/rollback', 'writer'],
        ['delete', '/v1/services/{slug}/config/{env}/{key}', 'writer'],
        ['get', '/v1/services/{slug}/effective', 'reader'],
        ['get', '/v1/services/{slug}/export', 'reader'],
        ['post', '/v1/import', 'writer'],
        ['get', '/v1/events/{eventId}', 'reader'],
        ['get', '/v1/audit', 'reader'],
      ];
      for (const [method, path, role] of expected) {
        const operation = document.paths[path]?.[method];
        expect({ path, method, documented: Boolean(operation) }).toEqual({
          path,
          method,
          documented: true,
        });
        expect(operation['x-required-role']).toBe(role);
        expect(operation.security).toEqual([{ bearer: [] }]);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
        const success = operation.responses['200'] ?? operation.responses['202'];
        expect(success.content?.['application/json']?.schema).toBeDefined();
        if (method !== 'get' && method !== 'delete') expect(operation.requestBody).toBeDefined();
        if (method !== 'get')
          expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400']));
      }
      expect(document.paths['/admin/health/live'].get.security).toEqual([]);
      expect(document.components.schemas.RateLimitSpec.required).toEqual([
        'requestsPerSecond',
        'burst',
      ]);
      // Built by the swagger plugin from the DTOs' types and rules, with the keywords
      // it cannot read through a constant added from class-validator's metadata.
      const registration = document.components.schemas.RegisterServiceDto;
      expect(registration.required).toEqual(
        expect.arrayContaining(['slug', 'name', 'owner', 'tier', 'lifecycle']),
      );
      expect(registration.properties.slug.pattern).toBe('^[a-z][a-z0-9-]{1,62}$');
      expect(registration.properties.tier).toMatchObject({ type: 'integer', maximum: 3 });
      expect(registration.properties.links.items).toEqual({
        $ref: '#/components/schemas/ServiceLinkDto',
      });
      expect(document.components.schemas.SetPolicyDto.properties.spec.oneOf).toHaveLength(4);
      const refs = [
        ...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
      ].map((m) => m[1]);
      expect(refs.filter((name) => !document.components.schemas[name])).toEqual([]);
    });
  });

  it('keeps the worker healthy throughout', async () => {
    expect((await fetch(`${stack.worker.baseUrl}/health/ready`)).status).toBe(200);
  });
});
