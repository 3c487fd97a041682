import type { Consumer } from 'kafkajs';
import { WAIT } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, anEnvelope, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { CacheKeys } from '#caching/cache-keys';

describe('service catalog, end to end (real api and worker processes)', () => {
  const stack = useStack('catalog');
  const { client } = stack;

  async function produceRaw(key: string, value: string | Buffer): Promise<void> {
    const producer = stack.env.kafka.producer();
    await producer.connect();
    await producer.send({ topic: stack.env.topics.Events, acks: -1, messages: [{ key, value }] });
    await producer.disconnect();
  }

  it('registers a service with Prefer: wait (201), then serves it with an ETag and 304 on If-None-Match', async () => {
    const service = aService();
    const created = await client.post('/v1/services', service, WAIT);
    expect(created.status).toBe(201);
    expect(created.headers.get('preference-applied')).toBe('wait=10');
    expect(created.body).toMatchObject({ ...service, version: 1 });
    expect(created.body.createdAt).toEqual(expect.any(String));

    const read = await client.as('reader').get(`/v1/services/${String(service.slug)}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body).toMatchObject({ slug: service.slug, version: 1 });

    const notModified = await client.as('reader').get(`/v1/services/${String(service.slug)}`, {
      'if-none-match': '"1"',
    });
    expect(notModified.status).toBe(304);
  });

  it('accepts a write with 202 and a Location whose event status becomes applied', async () => {
    const accepted = await client.post('/v1/services', aService());
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ eventId: expect.any(String), status: 'accepted' });
    expect(accepted.headers.get('location')).toBe(`/v1/events/${accepted.body.eventId}`);
    const status = await eventually(async () => {
      const r = await client.as('reader').get(accepted.headers.get('location')!);
      expect(r.body.status).toBe('applied');
      return r.body;
    });
    expect(status).toMatchObject({ eventId: accepted.body.eventId, version: 1 });
  });

  it('keeps the note of an accepted event in Redis only until the worker recorded its outcome', async () => {
    const accepted = await client.post('/v1/services', aService());
    const note = new CacheKeys(stack.env.namespace).acceptedEvent(accepted.body.eventId);
    await eventually(async () => {
      const r = await client.as('reader').get(`/v1/events/${accepted.body.eventId}`);
      expect(r.body.status).toBe('applied');
      expect(await stack.env.redis.exists(note)).toBe(0);
    });
  });

  it('lists with filters and pages through more than one page with an opaque cursor', async () => {
    const owner = uniqueSlug('team');
    const slugs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = aService({ owner, tier: i % 2, tags: i < 3 ? ['edge'] : ['core'] });
      slugs.push(String(s.slug));
      expect((await client.post('/v1/services', s, WAIT)).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/services?owner=${owner}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await client.as('reader').get(query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((s: { slug: string }) => s.slug));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...slugs].sort());

    const tier1 = await client.as('reader').get(`/v1/services?owner=${owner}&tier=1`);
    expect(tier1.body.items.map((s: { tier: number }) => s.tier)).toEqual([1, 1]);
    const edge = await client.as('reader').get(`/v1/services?owner=${owner}&tag=edge`);
    expect(edge.body.items).toHaveLength(3);
    const byText = await client.as('reader').get(`/v1/services?owner=${owner}&q=${slugs[4]}`);
    expect(byText.body.items.map((s: { slug: string }) => s.slug)).toEqual([slugs[4]]);
    const badCursor = await client.as('reader').get('/v1/services?cursor=not-ours');
    expect(badCursor.status).toBe(400);
  });

  it('applies a merge patch and rejects a PATCH whose If-Match is stale with 409', async () => {
    const service = aService();
    await client.post('/v1/services', service, WAIT);
    const path = `/v1/services/${String(service.slug)}`;
    const patched = await client.patch(
      path,
      { tier: 0, description: null },
      { ...WAIT, 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ tier: 0, version: 2 });
    expect(patched.body).not.toHaveProperty('description');
    expect(patched.headers.get('etag')).toBe('"2"');

    const stale = await client.patch(path, { tier: 3 }, { ...WAIT, 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(stale.body.detail).toMatch(/version 2/);
    const after = await client.get(path);
    expect(after.body.tier).toBe(0);
  });

  it('deletes a service: afterwards GET answers 404', async () => {
    const service = aService();
    await client.post('/v1/services', service, WAIT);
    const path = `/v1/services/${String(service.slug)}`;
    expect((await client.get(path)).status).toBe(200);
    const deleted = await client.delete(path, WAIT);
    expect(deleted.status).toBe(204);
    const gone = await client.get(path);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('applies an envelope that an outside system publishes straight to Kafka', async () => {
    const service = aService();
    const envelope = anEnvelope('service.registered', service);
    await produceRaw(envelope.aggregate, JSON.stringify(envelope));
    const read = await eventually(async () => {
      const r = await client.get(`/v1/services/${String(service.slug)}`);
      expect(r.status).toBe(200);
      return r;
    });
    expect(read.body).toMatchObject({ name: service.name, version: 1 });
    const status = await client.get(`/v1/events/${envelope.id}`);
    expect(status.body).toMatchObject({ status: 'applied', aggregate: envelope.aggregate });
  });

  it('dead-letters an invalid envelope with its reason and goes on with the next event', async () => {
    const dlq: Consumer = stack.env.kafka.consumer({
      groupId: `${stack.env.namespace}-dlq-reader`,
    });
    const received: { value: string; headers: Record<string, string> }[] = [];
    await dlq.connect();
    await dlq.subscribe({ topic: stack.env.topics.DeadLetters, fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        received.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    try {
      const slug = uniqueSlug();
      const invalid = anEnvelope('service.registered', {
        slug,
        name: 'x',
        owner: 'o',
        tier: 9,
        lifecycle: 'production',
      });
      await produceRaw(`service:${slug}`, JSON.stringify(invalid));
      await produceRaw(`service:${slug}`, '{not json');
      const next = aService({ slug });
      const valid = anEnvelope('service.registered', next);
      await produceRaw(valid.aggregate, JSON.stringify(valid));

      await eventually(() => expect(received.length).toBeGreaterThanOrEqual(2), {
        timeoutMs: 20_000,
      });
      const tierLetter = received.find((m) => m.value === JSON.stringify(invalid))!;
      expect(tierLetter.headers['x-error-reason']).toMatch(/data\.tier/);
      expect(tierLetter.headers['x-original-partition']).toMatch(/^\d+$/);
      expect(tierLetter.headers['x-original-offset']).toMatch(/^\d+$/);
      const jsonLetter = received.find((m) => m.value === '{not json')!;
      expect(jsonLetter.headers['x-error-reason']).toMatch(/not valid JSON/);

      const status = await client.get(`/v1/events/${invalid.id}`);
      expect(status.body).toMatchObject({
        status: 'dead-lettered',
        reason: expect.stringMatching(/tier/),
      });
      await eventually(async () =>
        expect((await client.get(`/v1/services/${slug}`)).status).toBe(200),
      );
    } finally {
      await dlq.disconnect();
    }
  });

  it('gives an event id published twice exactly one effect', async () => {
    const service = aService();
    await client.post('/v1/services', service, WAIT);
    const patch = anEnvelope('service.updated', { slug: service.slug, tier: 3 });
    await produceRaw(patch.aggregate, JSON.stringify(patch));
    await produceRaw(patch.aggregate, JSON.stringify(patch));
    const marker = anEnvelope('service.updated', { slug: service.slug, name: 'After both' });
    await produceRaw(marker.aggregate, JSON.stringify(marker));
    const read = await eventually(async () => {
      const r = await client.get(`/v1/services/${String(service.slug)}`);
      expect(r.body.name).toBe('After both');
      return r;
    });
    // registered (1), one effect of the duplicated patch (2), the marker (3)
    expect(read.body.version).toBe(3);
    expect(read.body.tier).toBe(3);
  });

  describe('bad requests', () => {
    it('answers 401 without a token and 403 for a reader that writes', async () => {
      const anonymous = await client.as('none').get('/v1/services');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const reader = await client.as('reader').post('/v1/services', aService());
      expect(reader.status).toBe(403);
    });

    it.each([
      ['a malformed body', { rawBody: '{"slug": ' }, undefined],
      ['an unknown field', { body: aService({ colour: 'blue' }) }, 'colour'],
      ['a wrong type', { body: aService({ tier: 'one' }) }, 'tier'],
      ['a bad slug', { body: aService({ slug: 'Not_A_Slug' }) }, 'slug'],
    ])('answers 400 problem+json for %s', async (_label, options, field) => {
      const response = await client.request('POST', '/v1/services', options);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, title: 'Bad Request' });
      if (field)
        expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('answers 400 for a bad path parameter and 413 for a body over 256 KiB', async () => {
      expect((await client.get('/v1/services/UPPER')).status).toBe(400);
      const huge = await client.post(
        '/v1/services',
        aService({ description: 'x'.repeat(300 * 1024) }),
      );
      expect(huge.status).toBe(413);
      expect(huge.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  it('keeps the worker healthy throughout', async () => {
    const ready = await fetch(`${stack.worker.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
  });
});
