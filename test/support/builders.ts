import { randomBytes, randomUUID } from 'node:crypto';

let counter = 0;

export function uniqueSlug(prefix = 'svc'): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

export function aService(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    slug: uniqueSlug(),
    name: 'Checkout',
    owner: 'team-commerce',
    tier: 1,
    lifecycle: 'production',
    tags: ['payments'],
    links: [{ title: 'Runbook', url: 'https://runbooks.example.com/checkout' }],
    description: 'Takes the money',
    ...overrides,
  };
}

/** An envelope as an outside producer would publish it. */
export function anEnvelope(
  type: string,
  data: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
) {
  const aggregate =
    type === 'default-policy.set'
      ? `defaults:${String(data.type)}`
      : `service:${String(data.slug)}`;
  return {
    id: randomUUID(),
    type,
    aggregate,
    actor: 'ci-pipeline',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
    data,
    ...overrides,
  };
}
