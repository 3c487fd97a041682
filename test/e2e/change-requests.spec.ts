import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

/** alice writes with dev-writer; bob and carol are two more writers who review. */
const TOKENS =
  'reader:dev-reader,writer:dev-writer:alice,writer:bob-token:bob,writer:carol-token:carol,admin:dev-admin:root';

const configSet = (slug: string, key: string, value: unknown, expectedVersion?: number) => ({
  type: 'config.set',
  data: { slug, env: 'prod', key, value },
  ...(expectedVersion !== undefined ? { expectedVersion } : {}),
});

describe('change requests, end to end', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let alice: WardenClient;
  let bob: WardenClient;
  let carol: WardenClient;
  let admin: WardenClient;

  const processEnv = () =>
    env.processEnv({ WARDEN_TOKENS: TOKENS, WARDEN_SECRETS_KEY: 'ab'.repeat(32) });

  async function register(): Promise<string> {
    const slug = uniqueSlug('cr');
    expect((await alice.post('/v1/services', aService({ slug }), WAIT)).status).toBe(201);
    return slug;
  }

  async function propose(changes: unknown[], extra: Record<string, unknown> = {}) {
    const created = await alice.post('/v1/change-requests', {
      title: 'Raise the limits',
      reason: 'Black Friday',
      changes,
      ...extra,
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; status: string };
  }

  async function approved(changes: unknown[], extra: Record<string, unknown> = {}) {
    const request = await propose(changes, extra);
    const approval = await bob.post(`/v1/change-requests/${request.id}/approve`, {});
    expect(approval.status).toBe(200);
    expect(approval.body.status).toBe('approved');
    return request;
  }

  beforeAll(async () => {
    env = await TestEnvironment.create('change-requests');
    [api, worker] = await Promise.all([
      AppProcess.start('api', processEnv()),
      AppProcess.start('worker', processEnv()),
    ]);
    alice = new WardenClient(api.baseUrl);
    bob = new WardenClient(api.baseUrl, 'bob-token');
    carol = new WardenClient(api.baseUrl, 'carol-token');
    admin = alice.as('admin');
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  describe('creating', () => {
    it('answers 201 with the pending request, its author and one required approval', async () => {
      const slug = await register();
      const applyAt = new Date(Date.now() + 3_600_000).toISOString();
      const created = await alice.post('/v1/change-requests', {
        title: 'Raise the limits',
        reason: 'Black Friday',
        changes: [configSet(slug, 'limit', { max: 5, constructor: 1 })],
        applyAt,
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/change-requests/${created.body.id}`);
      expect(created.body).toMatchObject({
        status: 'pending',
        requiredApprovals: 1,
        approvals: [],
        author: 'alice',
        applyAt,
        changes: [{ type: 'config.set', data: { slug, env: 'prod', key: 'limit' } }],
      });
      // Free-form values are kept exactly as sent.
      expect(created.body.changes[0].data.value).toEqual({ max: 5, constructor: 1 });
      const read = await alice.as('reader').get(`/v1/change-requests/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);
    });

    it('validates each change as the worker validates its event, naming the change and field', async () => {
      const slug = await register();
      const invalid = await alice.post('/v1/change-requests', {
        title: 't',
        reason: 'r',
        changes: [
          configSet(slug, 'fine', 1),
          {
            type: 'policy.set',
            data: { slug, type: 'rate-limit', env: 'prod', enabled: true, spec: { burst: 1 } },
          },
        ],
      });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain(
        'changes[1].data.spec.requestsPerSecond',
      );
      const unknownType = await alice.post('/v1/change-requests', {
        title: 't',
        reason: 'r',
        changes: [{ type: 'service.exploded', data: { slug } }],
      });
      expect(unknownType.status).toBe(400);
      expect(unknownType.body.errors[0].field).toBe('changes.0.type');
      const none = await alice.post('/v1/change-requests', {
        title: 't',
        reason: 'r',
        changes: [],
      });
      expect(none.status).toBe(400);
      const badDate = await alice.post('/v1/change-requests', {
        title: 't',
        reason: 'r',
        changes: [configSet(slug, 'k', 1)],
        applyAt: 'tomorrow',
      });
      expect(badDate.status).toBe(400);
      expect(badDate.body.errors[0].field).toBe('applyAt');
      expect(
        (
          await alice.as('reader').post('/v1/change-requests', {
            title: 't',
            reason: 'r',
            changes: [configSet(slug, 'k', 1)],
          })
        ).status,
      ).toBe(403);
    });
  });

  describe('reviewing', () => {
    it('refuses the author approving their own request (403), and counts a second approval by the same reviewer once', async () => {
      const slug = await register();
      const request = await propose([configSet(slug, 'k', 1)]);
      const own = await alice.post(`/v1/change-requests/${request.id}/approve`, {});
      expect(own.status).toBe(403);
      expect(own.body.detail).toMatch(/cannot approve/);

      const admins = await admin.get(`/v1/change-requests/${request.id}`);
      expect(admins.body.status).toBe('pending');
      const first = await bob.post(`/v1/change-requests/${request.id}/approve`, {
        comment: 'looks right',
      });
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('approved');
      expect(first.body.approvals).toEqual([
        { actor: 'bob', comment: 'looks right', at: expect.any(String) },
      ]);
      const again = await bob.post(`/v1/change-requests/${request.id}/approve`, {});
      expect(again.status).toBe(200);
      expect(again.body.approvals).toHaveLength(1);
    });

    it('refuses applying before approval (409)', async () => {
      const slug = await register();
      const request = await propose([configSet(slug, 'k', 1)]);
      const early = await alice.post(`/v1/change-requests/${request.id}/apply`, {});
      expect(early.status).toBe(409);
      expect(early.body.detail).toMatch(/0 of 1 approvals/);
      expect((await alice.get(`/v1/services/${slug}/config/prod/k`)).status).toBe(404);
    });

    it('lets a reviewer other than the author reject, and refuses every verb afterwards (409)', async () => {
      const slug = await register();
      const request = await propose([configSet(slug, 'k', 1)]);
      expect((await alice.post(`/v1/change-requests/${request.id}/reject`, {})).status).toBe(403);
      const rejected = await carol.post(`/v1/change-requests/${request.id}/reject`, {
        comment: 'not now',
      });
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        closedBy: { actor: 'carol', comment: 'not now' },
      });
      for (const [client, verb] of [
        [bob, 'approve'],
        [carol, 'reject'],
        [alice, 'cancel'],
        [alice, 'apply'],
      ] as const) {
        const refused = await client.post(`/v1/change-requests/${request.id}/${verb}`, {});
        expect({ verb, status: refused.status }).toEqual({ verb, status: 409 });
      }
    });

    it('lets only the author or an admin cancel: a stranger is refused (403)', async () => {
      const slug = await register();
      const mine = await propose([configSet(slug, 'k', 1)]);
      const stranger = await bob.post(`/v1/change-requests/${mine.id}/cancel`, {});
      expect(stranger.status).toBe(403);
      expect(stranger.body.detail).toMatch(/author \(alice\) or an admin/);
      const byAuthor = await alice.post(`/v1/change-requests/${mine.id}/cancel`, {});
      expect(byAuthor.status).toBe(200);
      expect(byAuthor.body.status).toBe('cancelled');

      const approvedOne = await approved([configSet(slug, 'k', 2)]);
      const byAdmin = await admin.post(`/v1/change-requests/${approvedOne.id}/cancel`, {
        comment: 'freeze',
      });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toMatchObject({ status: 'cancelled', closedBy: { actor: 'root' } });
      expect((await alice.post(`/v1/change-requests/${approvedOne.id}/apply`, {})).status).toBe(
        409,
      );
    });

    it('answers 404 for an unknown request and 400 for an id that is not a UUID', async () => {
      const unknown = '5b0d6c2e-8f0a-4c8e-9d3b-1a2b3c4d5e6f';
      expect((await bob.post(`/v1/change-requests/${unknown}/approve`, {})).status).toBe(404);
      expect((await bob.get(`/v1/change-requests/${unknown}`)).status).toBe(404);
      const bad = await bob.get('/v1/change-requests/not-an-id');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('id');
    });
  });

  describe('listing and diff', () => {
    it('lists by status and service, newest first, paged', async () => {
      const slug = await register();
      const other = await register();
      const first = await propose([configSet(slug, 'a', 1)]);
      const second = await propose([configSet(slug, 'b', 1), configSet(other, 'b', 1)]);
      await propose([configSet(other, 'c', 1)]);
      await alice.post(`/v1/change-requests/${first.id}/cancel`, {});

      const bySlug = await alice.get(`/v1/change-requests?service=${slug}`);
      expect(bySlug.status).toBe(200);
      expect(bySlug.body.items.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
      const pending = await alice.get(`/v1/change-requests?service=${slug}&status=pending`);
      expect(pending.body.items.map((r: { id: string }) => r.id)).toEqual([second.id]);
      const page = await alice.get(`/v1/change-requests?service=${slug}&limit=1`);
      expect(page.body.items.map((r: { id: string }) => r.id)).toEqual([second.id]);
      const next = await alice.get(
        `/v1/change-requests?service=${slug}&limit=1&cursor=${page.body.nextCursor}`,
      );
      expect(next.body.items.map((r: { id: string }) => r.id)).toEqual([first.id]);
      expect(next.body.nextCursor).toBeNull();
      expect((await alice.get('/v1/change-requests?status=open')).status).toBe(400);
      expect((await alice.get('/v1/change-requests?cursor=bogus')).status).toBe(400);
    });

    it('shows the effective views before and after, for each service and environment touched, writing nothing', async () => {
      const slug = await register();
      expect(
        (await alice.put(`/v1/services/${slug}/config/prod/limit`, { value: 1 }, WAIT)).status,
      ).toBe(201);
      const request = await propose([
        configSet(slug, 'limit', 2),
        {
          type: 'policy.set',
          data: {
            slug,
            type: 'rate-limit',
            env: 'staging',
            enabled: true,
            spec: { requestsPerSecond: 10, burst: 5 },
          },
        },
      ]);
      const diff = await alice.get(`/v1/change-requests/${request.id}/diff`);
      expect(diff.status).toBe(200);
      expect(diff.body).toHaveLength(2);
      const [prod, staging] = diff.body;
      expect(prod).toMatchObject({
        slug,
        env: 'prod',
        before: { config: { limit: 1 } },
        after: { config: { limit: 2 } },
      });
      expect(staging).toMatchObject({ slug, env: 'staging', before: { policies: {} } });
      expect(staging.after.policies['rate-limit']).toEqual({ requestsPerSecond: 10, burst: 5 });
      expect(prod.after.version).toBeGreaterThan(prod.before.version);
      const effective = await alice.get(`/v1/services/${slug}/effective?env=prod`);
      expect(effective.body.config).toEqual({ limit: 1 });
    });
  });

  describe('applying', () => {
    it('applies every change across services in one event, each audited and linked to its request', async () => {
      const first = await register();
      const second = await register();
      const request = await approved([
        configSet(first, 'limit', { max: 10 }),
        configSet(second, 'limit', { max: 20 }),
        { type: 'service.updated', data: { slug: second, tier: 0 } },
      ]);
      const applied = await alice.post(`/v1/change-requests/${request.id}/apply`, {}, WAIT);
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({ id: request.id, status: 'applied' });
      const eventId = applied.headers.get('x-event-id');
      expect(applied.body.applyEventId).toBe(eventId);

      expect((await alice.get(`/v1/services/${first}/effective?env=prod`)).body.config).toEqual({
        limit: { max: 10 },
      });
      const view = (await alice.get(`/v1/services/${second}/effective?env=prod`)).body;
      expect(view.config).toEqual({ limit: { max: 20 } });
      expect(view.service.tier).toBe(0);

      const status = await alice.get(`/v1/events/${eventId}`);
      expect(status.body).toEqual({
        eventId,
        status: 'applied',
        aggregate: `change-request:${request.id}`,
      });
      const audit = await alice.get(`/v1/audit?changeRequestId=${request.id}`);
      expect(audit.status).toBe(200);
      expect(audit.body.items).toHaveLength(3);
      for (const entry of audit.body.items) {
        expect(entry).toMatchObject({
          changeRequestId: request.id,
          actor: 'alice',
          reason: 'Black Friday',
        });
        expect((await alice.get(`/v1/events/${entry.eventId}`)).body.status).toBe('applied');
      }
      expect(
        audit.body.items.map((e: { type: string; aggregate: string }) => [e.type, e.aggregate]),
      ).toEqual([
        ['service.updated', `service:${second}`],
        ['config.set', `service:${second}`],
        ['config.set', `service:${first}`],
      ]);
      const diff = await alice.get(`/v1/change-requests/${request.id}/diff`);
      expect(diff.status).toBe(409);
      expect(diff.body.detail).toMatch(/changeRequestId=/);
      // Applying again is no second effect: the request is settled.
      expect((await alice.post(`/v1/change-requests/${request.id}/apply`, {})).status).toBe(409);
    });

    it('fails the whole request when one change is stale: nothing of it is visible, the reason is kept', async () => {
      const first = await register();
      const second = await register();
      expect(
        (await alice.put(`/v1/services/${second}/config/prod/limit`, { value: 1 }, WAIT)).status,
      ).toBe(201);
      const request = await approved([
        configSet(first, 'limit', 10),
        { type: 'service.updated', data: { slug: first, tier: 3 } },
        configSet(second, 'limit', 20, 7),
      ]);
      const refused = await alice.post(`/v1/change-requests/${request.id}/apply`, {}, WAIT);
      expect(refused.status).toBe(409);
      const settled = await alice.get(`/v1/change-requests/${request.id}`);
      expect(settled.body.status).toBe('failed');
      expect(settled.body.failureReason).toMatch(
        new RegExp(`change 2 \\(config.set of service ${second}\\).*expected version 7`),
      );
      expect((await alice.get(`/v1/events/${settled.body.applyEventId}`)).body).toMatchObject({
        status: 'rejected',
        reason: settled.body.failureReason,
      });
      expect((await alice.get(`/v1/services/${first}/config/prod/limit`)).status).toBe(404);
      expect((await alice.get(`/v1/services/${first}`)).body.tier).toBe(1);
      expect((await alice.get(`/v1/services/${second}/config/prod/limit`)).body.value).toBe(1);
      expect((await alice.get(`/v1/audit?changeRequestId=${request.id}`)).body.items).toEqual([]);
      expect((await alice.post(`/v1/change-requests/${request.id}/apply`, {})).status).toBe(409);
    });

    it('keeps a secret encrypted from the request on: shown masked, applied as a secret', async () => {
      const slug = await register();
      const request = await approved([
        {
          type: 'config.set',
          data: { slug, env: 'prod', key: 'token', value: 's3cret', secret: true },
        },
      ]);
      const read = await alice.get(`/v1/change-requests/${request.id}`);
      expect(read.body.changes[0].data).toEqual({
        slug,
        env: 'prod',
        key: 'token',
        secret: true,
        value: '***',
      });
      const stored = await env.db
        .selectFrom('change_requests')
        .select('changes')
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow();
      expect(stored.changes).not.toContain('s3cret');
      const applied = await alice.post(`/v1/change-requests/${request.id}/apply`, {}, WAIT);
      expect(applied.status).toBe(200);
      const entry = await alice.get(`/v1/services/${slug}/config/prod/token`);
      expect(entry.body).toMatchObject({ value: '***', secret: true, version: 1 });
    });

    it('answers 202 with the event to follow without Prefer: wait', async () => {
      const slug = await register();
      const request = await approved([configSet(slug, 'k', true)]);
      const accepted = await alice.post(`/v1/change-requests/${request.id}/apply`, {});
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get('location')).toBe(`/v1/events/${accepted.body.eventId}`);
      await eventually(async () =>
        expect((await alice.get(`/v1/change-requests/${request.id}`)).body.status).toBe('applied'),
      );
    });
  });

  describe('scheduled', () => {
    it('applies an approved request at its applyAt, once, across two worker kills', async () => {
      const slug = await register();
      const applyAt = new Date(Date.now() + 4_000).toISOString();
      const request = await approved([configSet(slug, 'window', 'open')], { applyAt });
      expect((await alice.get(`/v1/change-requests/${request.id}`)).body.status).toBe('approved');

      // Killed before the time comes, and again right after the request was applied.
      await worker.stop('SIGKILL');
      worker = await AppProcess.start('worker', processEnv());
      const applied = await eventually(
        async () => {
          const read = await alice.get(`/v1/change-requests/${request.id}`);
          expect(read.body.status).toBe('applied');
          return read.body;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(Date.parse(applied.appliedAt)).toBeGreaterThanOrEqual(Date.parse(applyAt));
      await worker.stop('SIGKILL');
      worker = await AppProcess.start('worker', processEnv());

      // An explicit apply now is refused, and the same apply event once more changes nothing.
      expect((await alice.post(`/v1/change-requests/${request.id}/apply`, {})).status).toBe(409);
      // The same apply event once more, then a probe on the same key (so on the same
      // partition, read after it): once the probe is settled, the duplicate was read.
      const envelope = (id: string) => ({
        key: `change-request:${request.id}`,
        value: JSON.stringify({
          id,
          type: 'change-request.applied',
          aggregate: `change-request:${request.id}`,
          actor: 'ci-pipeline',
          occurredAt: new Date().toISOString(),
          schemaVersion: 1,
          data: {
            changeRequestId: request.id,
            author: 'alice',
            reason: 'again',
            changes: [configSet(slug, 'window', 'open')],
          },
        }),
      });
      const probe = randomUUID();
      const producer = env.kafka.producer();
      await producer.connect();
      await producer.send({
        topic: env.topics.Events,
        messages: [envelope(applied.applyEventId), envelope(probe)],
      });
      await producer.disconnect();
      const probed = await eventually(
        async () => {
          const outcome = await alice.get(`/v1/events/${probe}`);
          expect(outcome.body.status).toBe('rejected');
          return outcome.body;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(probed.reason).toMatch(/is applied, not approved/);

      const entry = await alice.get(`/v1/services/${slug}/config/prod/window`);
      expect(entry.body).toMatchObject({ value: 'open', version: 1 });
      const audit = await alice.get(`/v1/audit?changeRequestId=${request.id}`);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0]).toMatchObject({ actor: 'alice', changeRequestId: request.id });
      expect((await alice.get(`/v1/events/${applied.applyEventId}`)).body.status).toBe('applied');
    }, 90_000);

    it('lets an explicit apply go before the scheduled time', async () => {
      const slug = await register();
      const applyAt = new Date(Date.now() + 3_600_000).toISOString();
      const request = await approved([configSet(slug, 'early', 1)], { applyAt });
      const applied = await alice.post(`/v1/change-requests/${request.id}/apply`, {}, WAIT);
      expect(applied.status).toBe(200);
      expect(applied.body.status).toBe('applied');
    });
  });
});
