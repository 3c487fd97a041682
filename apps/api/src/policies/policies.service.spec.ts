import { PoliciesService } from './policies.service.js';
import type { GovernanceRepository } from '#persistence/governance.repository';
import type { CatalogRepository } from '#persistence/catalog.repository';
import { ProblemException } from '../http/problem.js';

const stamp = {
  version: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const quota = {
  slug: 'checkout',
  type: 'quota' as const,
  env: '*',
  enabled: true,
  spec: { limit: 5, period: 'day' },
  ...stamp,
};

function service(found: {
  servicePolicies?: unknown;
  defaultPolicies?: unknown;
  findDefaultPolicy?: unknown;
  findPolicy?: unknown;
}) {
  const governance = {
    servicePolicies: async () => found.servicePolicies,
    defaultPolicies: async () => found.defaultPolicies,
  } as unknown as GovernanceRepository;
  const catalog = {
    findDefaultPolicy: async () => found.findDefaultPolicy,
    findPolicy: async () => found.findPolicy,
  } as unknown as CatalogRepository;
  return new PoliciesService(governance, catalog);
}

describe(PoliciesService.name, () => {
  it("tags a service's policy list with the service's revision", async () => {
    const document = await service({
      servicePolicies: { items: [quota], revision: 9 },
    }).servicePolicies('checkout');
    expect(document.etag).toBe('"r9"');
    expect(JSON.parse(document.json)).toEqual({ items: [quota] });
  });

  it('answers 404 for the policies of a service that does not exist', async () => {
    await expect(service({}).servicePolicies('ghost')).rejects.toMatchObject({
      problem: { status: 404 },
    });
  });

  it('tags the defaults with the defaults revision, and a default with its version', async () => {
    const { type: _t, slug: _s, env: _e, ...rest } = quota;
    const subject = service({
      defaultPolicies: { items: [], revision: 4 },
      findDefaultPolicy: { type: 'quota', ...rest },
    });
    expect((await subject.defaults()).etag).toBe('"d4"');
    expect((await subject.defaultPolicy('quota')).etag).toBe('"2"');
  });

  it('answers 404 for a type without a global default', async () => {
    const failure = await service({})
      .defaultPolicy('access')
      .catch((error: unknown) => error);
    expect((failure as ProblemException).problem).toMatchObject({
      status: 404,
      detail: 'No global default is set for access',
    });
  });

  it('reads an override back with its version as the ETag and the list as its location', async () => {
    expect(await service({ findPolicy: quota }).loadPolicy('checkout', 'quota', '*')).toEqual({
      body: quota,
      etag: '"2"',
      location: '/v1/services/checkout/policies',
    });
  });
});
