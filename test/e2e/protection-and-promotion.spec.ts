import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

const CHANGE_REQUEST_REQUIRED = /\/change-request-required$/;

describe('protection rules and promotion, end to end', () => {
  const stack = useStack('protect');
  const { client } = stack;
  const admin = client.as('admin');

  async function register(overrides: Record<string, unknown> = {}): Promise<string> {
    const service = aService({ slug: uniqueSlug('guarded'), ...overrides });
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  }

  async function protect(name: string, match: Record<string, unknown>, approvals: number) {
    const put = await admin.put(`/v1/protection-rules/${name}`, { match, approvals });
    expect([200, 201]).toContain(put.status);
  }

  const produce = (envelope: { aggregate: string }) => stack.env.produce(envelope);

  describe('protection rules', () => {
    it('lets an admin create, replace, list and delete a rule, and audits each', async () => {
      const created = await admin.put('/v1/protection-rules/crud-rule', {
        match: { tiers: [0], envs: ['prod'] },
        approvals: 2,
        reason: 'prod of tier 0 needs two',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual(
        expect.objectContaining({
          name: 'crud-rule',
          match: { tiers: [0], envs: ['prod'] },
          approvals: 2,
          updatedBy: 'admin',
        }),
      );
      const replaced = await admin.put('/v1/protection-rules/crud-rule', {
        match: { services: ['billing'] },
        approvals: 3,
      });
      expect(replaced.status).toBe(200);
      const listed = await admin.get('/v1/protection-rules');
      expect(listed.body.items).toEqual([
        expect.objectContaining({
          name: 'crud-rule',
          match: { services: ['billing'] },
          approvals: 3,
        }),
      ]);
      expect((await admin.delete('/v1/protection-rules/crud-rule')).status).toBe(204);
      expect((await admin.delete('/v1/protection-rules/crud-rule')).status).toBe(404);
      expect((await admin.get('/v1/protection-rules')).body.items).toEqual([]);

      const audit = await admin.get('/v1/audit?aggregate=protection-rule:crud-rule');
      expect(audit.body.items.map((e: { type: string }) => e.type)).toEqual([
        'admin.protection-rule.deleted',
        'admin.protection-rule.set',
        'admin.protection-rule.set',
      ]);
      expect(audit.body.items[2]).toEqual(
        expect.objectContaining({ actor: 'admin', reason: 'prod of tier 0 needs two' }),
      );
    });

    it('puts a rule in force on every API instance, and lifts it on every one', async () => {
      const second = await AppProcess.start('api', stack.env.processEnv());
      try {
        const other = new WardenClient(second.baseUrl);
        const slug = await register();
        const write = () => other.put(`/v1/services/${slug}/config/dev/k`, { value: 1 });
        expect((await write()).status).toBe(202);
        await protect('everywhere', { services: [slug] }, 1);
        await eventually(async () => expect((await write()).status).toBe(409));
        expect((await admin.delete('/v1/protection-rules/everywhere')).status).toBe(204);
        await eventually(async () => expect((await write()).status).toBe(202));
      } finally {
        await second.stop();
      }
    });

    it('refuses a writer (403) and a malformed rule (400)', async () => {
      const writer = await client.put('/v1/protection-rules/w', { match: {}, approvals: 1 });
      expect(writer.status).toBe(403);
      expect((await client.get('/v1/protection-rules')).status).toBe(403);
      expect((await client.delete('/v1/protection-rules/w')).status).toBe(403);
      for (const body of [
        { match: {}, approvals: 0 },
        { match: { tiers: [] }, approvals: 1 },
        { match: { tiers: [7] }, approvals: 1 },
        { match: { envs: ['Prod!'] }, approvals: 1 },
        { match: { teams: ['x'] }, approvals: 1 },
        { approvals: 1 },
      ]) {
        const bad = await admin.put('/v1/protection-rules/bad-rule', body);
        expect(bad.status).toBe(400);
        expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(
        (await admin.put('/v1/protection-rules/Bad_Name', { match: {}, approvals: 1 })).status,
      ).toBe(400);
      expect((await admin.get('/v1/protection-rules')).body.items).toEqual([]);
    });
  });

  describe('direct writes', () => {
    let guarded: string;
    let open: string;

    beforeAll(async () => {
      [guarded, open] = await Promise.all([register(), register()]);
      await protect('guarded-prod', { services: [guarded], envs: ['prod'] }, 2);
    });

    it('answers 409 change-request-required to a write to a protected target, naming the rule', async () => {
      const refused = await client.put(`/v1/services/${guarded}/config/prod/timeout`, {
        value: 800,
      });
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body.type).toMatch(CHANGE_REQUEST_REQUIRED);
      expect(refused.body.detail).toContain('"guarded-prod"');
      expect(refused.body.detail).toContain('2 approvals');
      expect(refused.body).toEqual(
        expect.objectContaining({ rules: ['guarded-prod'], requiredApprovals: 2 }),
      );
      const entries = await client.get(`/v1/services/${guarded}/config/prod`);
      expect(entries.body.items).toEqual([]);
    });

    it('covers every write path: policies, deletes, patches, rollbacks and imports', async () => {
      const writes = [
        client.put(`/v1/services/${guarded}/policies/quota`, {
          env: 'prod',
          enabled: true,
          spec: { limit: 5, period: 'day' },
        }),
        // A policy for every environment reaches prod too.
        client.put(`/v1/services/${guarded}/policies/quota`, {
          env: '*',
          enabled: true,
          spec: { limit: 5, period: 'day' },
        }),
        client.patch(`/v1/services/${guarded}`, { name: 'Renamed' }),
        client.delete(`/v1/services/${guarded}`),
        client.delete(`/v1/services/${guarded}/config/prod/timeout`),
        client.post(`/v1/services/${guarded}/config/prod/timeout/rollback`, { toVersion: 1 }),
        client.post('/v1/import', {
          service: {
            slug: guarded,
            name: 'Imported',
            owner: 'team-commerce',
            tier: 1,
            lifecycle: 'production',
          },
          policies: [],
          config: [],
        }),
      ];
      for (const write of await Promise.all(writes)) {
        expect(write.status).toBe(409);
        expect(write.body.type).toMatch(CHANGE_REQUEST_REQUIRED);
      }
      expect((await client.get(`/v1/services/${guarded}`)).body.name).toBe('Checkout');
    });

    it('accepts writes to targets no rule covers', async () => {
      expect(
        (await client.put(`/v1/services/${guarded}/config/staging/timeout`, { value: 800 })).status,
      ).toBe(202);
      const unprotected = await client.put(`/v1/services/${open}/config/prod/timeout`, {
        value: 800,
      });
      expect(unprotected.status).toBe(202);
      expect(unprotected.body.status).toBe('accepted');
    });

    it('protects by tier, and stops protecting once the rule is deleted', async () => {
      const critical = await register({ tier: 0 });
      await protect('tier-zero', { tiers: [0] }, 1);
      const refused = await client.patch(`/v1/services/${critical}`, { description: 'x' });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('"tier-zero"');
      // Moving a service into a protected tier is a change to that tier too.
      expect((await client.patch(`/v1/services/${open}`, { tier: 0 })).status).toBe(409);
      expect((await admin.delete('/v1/protection-rules/tier-zero')).status).toBe(204);
      expect((await client.patch(`/v1/services/${critical}`, { description: 'x' })).status).toBe(
        202,
      );
    });

    it("applies an outside producer's event to a protected target, and the audit says it bypassed the rule", async () => {
      const envelope = anEnvelope(
        'config.set',
        { slug: guarded, env: 'prod', key: 'from-kafka', value: { on: true } },
        { actor: 'ci-pipeline' },
      );
      await produce(envelope);
      const entry = await eventually(
        async () => {
          const r = await client.get(`/v1/services/${guarded}/config/prod/from-kafka`);
          expect(r.status).toBe(200);
          return r.body as { value: unknown };
        },
        { timeoutMs: 20_000 },
      );
      expect(entry.value).toEqual({ on: true });
      const audit = await client.get(`/v1/audit?aggregate=service:${guarded}&type=config.set`);
      const kafka = audit.body.items.find((e: { eventId: string }) => e.eventId === envelope.id);
      expect(kafka).toEqual(
        expect.objectContaining({
          source: 'kafka',
          protectionBypassed: true,
          bypassedRules: ['guarded-prod'],
        }),
      );
      const fromApi = audit.body.items.find((e: { source: string }) => e.source === 'api');
      expect(fromApi).toEqual(expect.objectContaining({ protectionBypassed: false }));
      expect(fromApi.bypassedRules).toBeUndefined();
    });
  });

  describe('promotion', () => {
    let slug: string;
    const promote = (body: Record<string, unknown>, headers?: Record<string, string>) =>
      client.post(`/v1/services/${slug}/config/promote`, body, headers);
    const values = async (env: string) => {
      const r = await client.get(`/v1/services/${slug}/config/${env}`);
      return Object.fromEntries(
        (r.body.items as { key: string; value: unknown; version: number }[]).map((e) => [
          e.key,
          [e.value, e.version],
        ]),
      );
    };

    beforeAll(async () => {
      slug = await register();
      const sets: [string, string, unknown][] = [
        ['staging', 'flags', { beta: true }],
        ['staging', 'limit', 10],
        ['staging', 'url', 'https://staging.example'],
        ['prod', 'limit', 10],
        ['prod', 'url', 'https://prod.example'],
        ['prod', 'legacy', true],
      ];
      for (const [env, key, value] of sets) {
        const r = await client.put(`/v1/services/${slug}/config/${env}/${key}`, { value }, WAIT);
        expect(r.status).toBe(201);
      }
    });

    it('answers the diff on a dry run and changes nothing', async () => {
      const before = await values('prod');
      const dry = await promote({ from: 'staging', to: 'prod', dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body).toEqual({
        slug,
        from: 'staging',
        to: 'prod',
        dryRun: true,
        summary: { added: 1, changed: 1, unchanged: 1, kept: 1 },
        changes: [
          { key: 'flags', change: 'added', after: { value: { beta: true } }, sourceVersion: 1 },
          {
            key: 'legacy',
            change: 'kept',
            before: { value: true, version: 1 },
            after: { value: true },
          },
          {
            key: 'limit',
            change: 'unchanged',
            before: { value: 10, version: 1 },
            after: { value: 10 },
          },
          {
            key: 'url',
            change: 'changed',
            before: { value: 'https://prod.example', version: 1 },
            after: { value: 'https://staging.example' },
            sourceVersion: 1,
          },
        ],
      });
      expect(dry.body.writes).toBeUndefined();
      expect(await values('prod')).toEqual(before);
    });

    it('refuses a bad body (400) and a key the source lacks (422)', async () => {
      for (const body of [
        { from: 'staging' },
        { from: 'staging', to: 'PROD' },
        { from: 'staging', to: 'staging' },
        { from: 'staging', to: 'prod', keys: [] },
        { from: 'staging', to: 'prod', keys: ['a b'] },
        { from: 'staging', to: 'prod', dryRun: 'yes' },
        { from: 'staging', to: 'prod', force: true },
      ]) {
        const bad = await promote(body);
        expect(bad.status).toBe(400);
        expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      const missing = await promote({ from: 'staging', to: 'prod', keys: ['url', 'nope'] });
      expect(missing.status).toBe(422);
      expect(missing.body.detail).toContain('nope');
      expect(
        (await client.post('/v1/services/no-such-svc/config/promote', { from: 'a', to: 'b' }))
          .status,
      ).toBe(404);
      expect(
        (
          await client
            .as('reader')
            .post(`/v1/services/${slug}/config/promote`, { from: 'staging', to: 'prod' })
        ).status,
      ).toBe(403);
    });

    it('writes the added and changed keys when the target is not protected', async () => {
      const accepted = await promote({ from: 'staging', to: 'prod', keys: ['flags'] });
      expect(accepted.status).toBe(202);
      expect(accepted.body.writes).toEqual([
        { key: 'flags', eventId: expect.any(String), status: 'accepted' },
      ]);
      await eventually(async () =>
        expect((await values('prod')).flags).toEqual([{ beta: true }, 1]),
      );

      const applied = await promote({ from: 'staging', to: 'prod', reason: 'release 42' }, WAIT);
      expect(applied.status).toBe(200);
      expect(applied.body.writes).toEqual([
        { key: 'url', eventId: expect.any(String), status: 'applied' },
      ]);
      expect(await values('prod')).toEqual({
        flags: [{ beta: true }, 1],
        legacy: [true, 1],
        limit: [10, 1],
        url: ['https://staging.example', 2],
      });
      const audit = await client.get(`/v1/audit?aggregate=service:${slug}&type=config.set&limit=1`);
      expect(audit.body.items[0]).toEqual(expect.objectContaining({ reason: 'release 42' }));

      const nothing = await promote({ from: 'staging', to: 'prod' });
      expect(nothing.status).toBe(200);
      expect(nothing.body.summary).toEqual({ added: 0, changed: 0, unchanged: 3, kept: 1 });
      expect(nothing.body.writes).toBeUndefined();
    });

    it('creates a change request with the most approvals the matched rules ask when the target is protected', async () => {
      expect(
        (await client.put(`/v1/services/${slug}/config/staging/limit`, { value: 20 }, WAIT)).status,
      ).toBe(200);
      await protect('promote-prod', { services: [slug], envs: ['prod'] }, 2);
      await protect('promote-tier', { tiers: [1], envs: ['prod'], services: [slug] }, 3);
      // Protects the source, not the target: it must not count.
      await protect('promote-staging', { services: [slug], envs: ['staging'] }, 5);
      try {
        const dry = await promote({ from: 'staging', to: 'prod', dryRun: true });
        expect(dry.status).toBe(200);
        expect(dry.body.protection).toEqual({
          rules: ['promote-tier', 'promote-prod'],
          requiredApprovals: 3,
        });
        expect(dry.body.changeRequest).toBeUndefined();

        const requested = await promote({ from: 'staging', to: 'prod', reason: 'release 43' });
        expect(requested.status).toBe(201);
        const request = requested.body.changeRequest;
        expect(requested.headers.get('location')).toBe(`/v1/change-requests/${request.id}`);
        expect(request).toEqual(
          expect.objectContaining({
            status: 'pending',
            requiredApprovals: 3,
            author: 'alice',
            reason: 'release 43',
            changes: [
              {
                type: 'config.set',
                data: { slug, env: 'prod', key: 'limit', value: 20, reason: 'release 43' },
                expectedVersion: 1,
              },
            ],
          }),
        );
        expect(requested.body.writes).toBeUndefined();
        const stored = await client.get(`/v1/change-requests/${request.id}`);
        expect(stored.body).toEqual(
          expect.objectContaining({ status: 'pending', requiredApprovals: 3 }),
        );
        expect((await values('prod')).limit).toEqual([10, 1]);
      } finally {
        for (const name of ['promote-prod', 'promote-tier', 'promote-staging'])
          await admin.delete(`/v1/protection-rules/${name}`);
      }
    });

    it('applies a protected promotion once its change request is approved', async () => {
      await protect('promote-once', { services: [slug], envs: ['prod'] }, 1);
      try {
        const requested = await promote({ from: 'staging', to: 'prod', keys: ['limit'] });
        expect(requested.status).toBe(201);
        const id = requested.body.changeRequest.id;
        expect(requested.body.changeRequest.requiredApprovals).toBe(1);
        expect((await admin.post(`/v1/change-requests/${id}/approve`, {})).status).toBe(200);
        const applied = await client.post(`/v1/change-requests/${id}/apply`, {}, WAIT);
        expect(applied.status).toBeLessThan(300);
        await eventually(async () => expect((await values('prod')).limit).toEqual([20, 2]));
      } finally {
        await admin.delete('/v1/protection-rules/promote-once');
      }
    });
  });
});
