import { ConfigEntriesService } from './config.service.js';
import type { GovernanceRepository } from '#persistence/governance.repository';
import type { CatalogRepository } from '#persistence/catalog.repository';
import { SecretCipher } from '#config/secret-cipher';
import type { TokenGrant } from '#config/warden-config';

const cipher = new SecretCipher(Buffer.alloc(32, 7));
const reader: TokenGrant = { role: 'reader', actor: 'r', scopes: [] };
const secretsReader: TokenGrant = { role: 'reader', actor: 's', scopes: ['secrets'] };

const entry = {
  slug: 'checkout',
  env: 'prod',
  key: 'timeout',
  value: 800,
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function service(state: {
  revision?: number;
  entry?: unknown;
  history?: unknown[];
  listing?: unknown;
}) {
  const governance = {
    serviceRevision: async () => state.revision,
    environmentConfig: async () => state.listing,
  } as unknown as GovernanceRepository;
  const catalog = {
    findConfig: async () => state.entry,
    configHistory: async () => state.history ?? [],
  } as unknown as CatalogRepository;
  return new ConfigEntriesService(governance, catalog, cipher);
}

describe(ConfigEntriesService.name, () => {
  it("tags an environment's listing with the service's revision", async () => {
    const document = await service({ listing: { items: [entry], revision: 12 } }).environment(
      'checkout',
      'prod',
    );
    expect(document.etag).toBe('"r12"');
    expect(JSON.parse(document.json)).toEqual({ items: [entry] });
  });

  it('answers an entry with its version as the ETag', async () => {
    const document = await service({ entry, revision: 12 }).entry('checkout', 'prod', 'timeout');
    expect(document.etag).toBe('"3"');
  });

  it('tells a missing service from a missing entry', async () => {
    await expect(service({}).entry('ghost', 'prod', 'timeout')).rejects.toMatchObject({
      problem: { status: 404, detail: 'Service ghost does not exist' },
    });
    await expect(service({ revision: 2 }).entry('checkout', 'prod', 'nope')).rejects.toMatchObject({
      problem: { status: 404, detail: 'Service checkout has no config entry nope in prod' },
    });
    await expect(service({}).environment('ghost', 'prod')).rejects.toMatchObject({
      problem: { status: 404 },
    });
  });

  it('answers the history of an entry, and 404 for one that never existed', async () => {
    const history = [
      { version: 1, value: 800, change: 'set', eventId: 'e', createdAt: entry.createdAt },
    ];
    const document = await service({ revision: 5, history }).history('checkout', 'prod', 'timeout');
    expect(JSON.parse(document.json)).toEqual({ items: history, nextCursor: null });
    expect(document.etag).toBe('"r5"');
    await expect(
      service({ revision: 5 }).history('checkout', 'prod', 'nope'),
    ).rejects.toMatchObject({
      problem: { status: 404, detail: 'Service checkout never had a config entry nope in prod' },
    });
  });

  it('answers the JSON Patch from one version to another as a JSON Patch document', async () => {
    const history = [
      { version: 3, value: { regions: ['eu', 'us'], beta: false } },
      { version: 1, value: { regions: ['eu'], beta: true } },
    ];
    const document = await service({ revision: 5, history }).history('checkout', 'prod', 'f', {
      from: 1,
      to: 3,
    });
    expect(document.contentType).toBe('application/json-patch+json');
    expect(JSON.parse(document.json)).toEqual([
      { op: 'add', path: '/regions/1', value: 'us' },
      { op: 'replace', path: '/beta', value: false },
    ]);
    await expect(
      service({ revision: 5, history }).history('checkout', 'prod', 'f', { from: 1, to: 2 }),
    ).rejects.toMatchObject({ problem: { status: 404 } });
    await expect(
      service({ revision: 5, history }).history('checkout', 'prod', 'f', { from: 1 }),
    ).rejects.toMatchObject({ problem: { status: 400 } });
  });

  it('pages the history with a cursor that starts below the last version it answered', async () => {
    const asked: unknown[] = [];
    const versions = [5, 4, 3].map((version) => ({ version, value: version }));
    const governance = { serviceRevision: async () => 9 } as unknown as GovernanceRepository;
    const catalog = {
      configHistory: async (_s: string, _e: string, _k: string, page: unknown) => {
        asked.push(page);
        return versions;
      },
    } as unknown as CatalogRepository;
    const configs = new ConfigEntriesService(governance, catalog, cipher);
    const first = JSON.parse((await configs.history('c', 'prod', 'k', { limit: 2 })).json);
    expect(first.items.map((v: { version: number }) => v.version)).toEqual([5, 4]);
    await configs.history('c', 'prod', 'k', { limit: 2, cursor: first.nextCursor });
    expect(asked).toEqual([
      { before: undefined, limit: 3 },
      { before: 4, limit: 3 },
    ]);
  });

  it('reads an entry back with a location that escapes nothing a key may hold', async () => {
    const loaded = await service({ entry: { ...entry, key: 'flags.beta_v2' } }).loadEntry(
      'checkout',
      'prod',
      'flags.beta_v2',
    );
    expect(loaded).toMatchObject({
      etag: '"3"',
      location: '/v1/services/checkout/config/prod/flags.beta_v2',
    });
  });

  describe('secret entries', () => {
    const secret = { ...entry, value: cipher.encrypt({ password: 'hunter2' }), secret: true };

    it('masks the value for a reader without the secrets scope and opens it for one with it', async () => {
      const configs = service({
        entry: secret,
        revision: 4,
        listing: { items: [secret], revision: 4 },
      });
      const masked = JSON.parse((await configs.entry('checkout', 'prod', 'timeout', reader)).json);
      const opened = JSON.parse(
        (await configs.entry('checkout', 'prod', 'timeout', secretsReader)).json,
      );
      expect(masked).toMatchObject({ value: '***', secret: true });
      expect(opened).toMatchObject({ value: { password: 'hunter2' }, secret: true });
      const listing = await configs.environment('checkout', 'prod', reader);
      expect(listing.json).not.toContain('hunter2');
      expect(JSON.parse(listing.json).items[0].value).toBe('***');
    });

    it('diffs masked values between two secret versions for a reader without the scope', async () => {
      const history = [
        { version: 2, value: cipher.encrypt('b'), secret: true },
        { version: 1, value: cipher.encrypt('a'), secret: true },
      ];
      const configs = service({ revision: 4, history });
      const masked = await configs.history('checkout', 'prod', 'k', { from: 1, to: 2 }, reader);
      const opened = await configs.history(
        'checkout',
        'prod',
        'k',
        { from: 1, to: 2 },
        secretsReader,
      );
      expect(JSON.parse(masked.json)).toEqual([]);
      expect(JSON.parse(opened.json)).toEqual([{ op: 'replace', path: '', value: 'b' }]);
    });

    it('shows the mask to a reader with the scope when the value does not open with this key', async () => {
      const other = new SecretCipher(Buffer.alloc(32, 8));
      const configs = service({ entry: { ...secret, value: other.encrypt('x') } });
      const read = JSON.parse(
        (await configs.entry('checkout', 'prod', 'timeout', secretsReader)).json,
      );
      expect(read.value).toBe('***');
    });
  });
});
