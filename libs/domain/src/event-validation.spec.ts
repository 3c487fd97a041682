import { randomUUID } from 'node:crypto';
import { parseEnvelope } from './event-validation.js';

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
