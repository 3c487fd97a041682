import { randomUUID } from 'node:crypto';
import { parseEnvelope, parseSignedEnvelope } from './event-validation.js';

const anEnvelope = (overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'service.registered',
  aggregate: 'service:checkout',
  actor: 'ci',
  occurredAt: '2026-11-24T10:00:00.000Z',
  schemaVersion: 1,
  data: { slug: 'checkout', name: 'Checkout', owner: 'team', tier: 1, lifecycle: 'production' },
  ...overrides,
});

describe('parseEnvelope', () => {
  it('accepts a valid envelope and keeps its data as sent', () => {
    const envelope = anEnvelope();
    const parsed = parseEnvelope(Buffer.from(JSON.stringify(envelope)));
    expect(parsed).toEqual({
      ok: true,
      event: expect.objectContaining({ id: envelope.id, data: envelope.data }),
    });
  });

  it('refuses bytes that are not JSON', () => {
    const parsed = parseEnvelope(Buffer.from('{nope'));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/^not valid JSON/);
  });

  it('refuses an empty message', () => {
    expect(parseEnvelope(null)).toMatchObject({ ok: false, reason: 'empty message' });
  });

  it('names each invalid envelope field', () => {
    const parsed = parseEnvelope(
      JSON.stringify(anEnvelope({ schemaVersion: 2, type: 'service.exploded' })),
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.errors.map((e) => e.field).sort()).toEqual(['schemaVersion', 'type']);
  });

  it('validates data exactly as the HTTP edge does, and keeps the event id for the dead letter', () => {
    const envelope = anEnvelope({
      data: {
        slug: 'checkout',
        name: 'C',
        owner: 'team',
        tier: 7,
        lifecycle: 'production',
        extra: 1,
      },
    });
    const parsed = parseEnvelope(JSON.stringify(envelope));
    expect(parsed).toMatchObject({ ok: false, eventId: envelope.id });
    if (!parsed.ok)
      expect(parsed.errors.map((e) => e.field).sort()).toEqual(['data.extra', 'data.tier']);
  });

  it('checks a policy spec against the spec of its type', () => {
    const parsed = parseEnvelope(
      JSON.stringify(
        anEnvelope({
          type: 'policy.set',
          data: {
            slug: 'checkout',
            type: 'rate-limit',
            env: '*',
            enabled: true,
            spec: { requestsPerSecond: 0, burst: 1 },
          },
        }),
      ),
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.errors.map((e) => e.field)).toEqual(['data.spec.requestsPerSecond']);
  });

  it('refuses an aggregate that does not match the data', () => {
    const parsed = parseEnvelope(JSON.stringify(anEnvelope({ aggregate: 'service:other' })));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/aggregate must be service:checkout/);
  });
});

describe('parseSignedEnvelope', () => {
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

  it.each([
    anEnvelope(),
    anEnvelope({
      type: 'config.set',
      expectedVersion: 3,
      data: { slug: 'checkout', env: 'prod', key: 'pool.size', value: { nested: [1, null] } },
    }),
    anEnvelope({
      type: 'default-policy.set',
      aggregate: 'defaults:quota',
      data: { type: 'quota', enabled: true, spec: { limit: 10, period: 'day' } },
    }),
  ])('reads a signed $type envelope as the full validation reads it', (envelope) => {
    const signed = parseSignedEnvelope(bytes(envelope), envelope.aggregate);
    const full = parseEnvelope(bytes(envelope), envelope.aggregate);
    expect(signed).toEqual({ ok: true, event: expect.objectContaining(envelope) });
    expect(full.ok && JSON.parse(JSON.stringify(full.event))).toEqual(
      signed.ok && JSON.parse(JSON.stringify(signed.event)),
    );
  });

  it.each([
    ['a key other than the aggregate', anEnvelope(), 'service:other', /Kafka key/],
    [
      'an aggregate that does not match the data',
      anEnvelope({ aggregate: 'service:elsewhere' }),
      'service:elsewhere',
      /aggregate must be service:checkout/,
    ],
    ['an unknown type', anEnvelope({ type: 'service.renamed' }), 'service:checkout', /type/],
    ['an id that is no UUID', anEnvelope({ id: '42' }), 'service:checkout', /id/],
  ])('gives the full validation’s reason for %s', (_, envelope, key, reason) => {
    const parsed = parseSignedEnvelope(bytes(envelope), key);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it('refuses bytes that are not JSON, as the full validation does', () => {
    const parsed = parseSignedEnvelope(Buffer.from('{nope'));
    expect(!parsed.ok && parsed.reason).toMatch(/^not valid JSON/);
  });
});
