import { nameFieldAsSent, serviceDiffs, toImportRequest } from './import-document.js';
import type { ImportDocumentDto } from './transfer.dto.js';
import { toServiceDocument } from './transfer.service.js';
import type { ServiceHoldings } from '#persistence/governance.repository';

const doc = (document: Record<string, unknown>) => document as unknown as ImportDocumentDto;
const stamp = { createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
const fields = {
  slug: 'alpha',
  name: 'Alpha',
  owner: 'team-a',
  tier: 1,
  lifecycle: 'production' as const,
};

function exported() {
  return {
    service: fields,
    policies: [
      { type: 'quota', env: '*', enabled: true, spec: { limit: 5, period: 'day' } },
      { type: 'quota', env: 'staging', enabled: true, spec: { limit: 9, period: 'day' } },
    ],
    config: [{ env: 'staging', key: 'timeout', value: 800 }],
  };
}

describe('toImportRequest', () => {
  it("takes one service's export as it is", () => {
    const shaped = toImportRequest(doc(exported()));
    expect(shaped).toEqual({ ok: true, request: { single: true, services: [exported()] } });
  });

  it('takes the whole export with its defaults', () => {
    const defaults = [{ type: 'quota', enabled: true, spec: { limit: 1, period: 'day' } }];
    const shaped = toImportRequest(doc({ reason: 'move', services: [exported()], defaults }));
    expect(shaped).toEqual({
      ok: true,
      request: { reason: 'move', single: false, services: [exported()], defaults },
    });
  });

  it('renames environments as envMap says, but never the every-environment policy', () => {
    const shaped = toImportRequest(doc({ ...exported(), envMap: { staging: 'prod' } }));
    if (!shaped.ok) throw new Error('refused');
    const [item] = shaped.request.services;
    expect(item.policies!.map((p) => p.env)).toEqual(['*', 'prod']);
    expect(item.config!.map((c) => c.env)).toEqual(['prod']);
  });

  it('refuses a document that is neither shape, or both', () => {
    expect(toImportRequest(doc({}))).toEqual({
      ok: false,
      errors: [{ field: 'services', message: expect.stringMatching(/required/) }],
    });
    expect(toImportRequest(doc({ ...exported(), services: [] }))).toMatchObject({
      ok: false,
      errors: [{ field: 'service' }],
    });
    expect(toImportRequest(doc({ services: [], config: [] }))).toMatchObject({
      ok: false,
      errors: [{ field: 'config' }],
    });
  });
});

describe('nameFieldAsSent', () => {
  it("names a field of a single service's export as that document does", () => {
    const shaped = toImportRequest(doc(exported()));
    if (!shaped.ok) throw new Error('refused');
    const error = { field: 'services.0.policies.1.spec.limit', message: 'bad' };
    expect(nameFieldAsSent(shaped.request, error).field).toBe('policies.1.spec.limit');
  });
});

describe('serviceDiffs', () => {
  const holdings: ServiceHoldings = {
    service: { ...fields, tags: [], links: [], version: 1, ...stamp },
    policies: [],
    config: [
      { slug: 'alpha', env: 'prod', key: 'retries', value: 3, version: 1, ...stamp },
      { slug: 'alpha', env: 'staging', key: 'timeout', value: 100, version: 2, ...stamp },
    ],
    revision: 3,
  };

  it('lays the document over what the service holds, and keeps what it does not list', () => {
    const shaped = toImportRequest(doc(exported()));
    if (!shaped.ok) throw new Error('refused');
    const [diff] = serviceDiffs(
      shaped.request,
      new Map([['alpha', holdings]]),
      toServiceDocument,
      new Set(['alpha']),
    );
    expect(diff.before!.config).toEqual([
      { env: 'prod', key: 'retries', value: 3 },
      { env: 'staging', key: 'timeout', value: 100 },
    ]);
    expect(diff.after).toEqual({
      service: { ...fields, tags: [], links: [] },
      policies: exported().policies,
      config: [
        { env: 'prod', key: 'retries', value: 3 },
        { env: 'staging', key: 'timeout', value: 800 },
      ],
    });
  });

  it('answers before null for a service that does not exist, and skips unchanged ones', () => {
    const shaped = toImportRequest(doc(exported()));
    if (!shaped.ok) throw new Error('refused');
    const [diff] = serviceDiffs(shaped.request, new Map(), toServiceDocument, new Set(['alpha']));
    expect(diff.before).toBeNull();
    expect(serviceDiffs(shaped.request, new Map(), toServiceDocument, new Set())).toEqual([]);
  });
});
