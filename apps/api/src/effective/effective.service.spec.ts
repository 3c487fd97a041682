import { EffectiveViewService } from './effective.service.js';
import type { CachedDocument, CatalogCache } from '../read-model/catalog-cache.service.js';
import { ProblemException } from '../http/problem.js';

describe(EffectiveViewService.name, () => {
  const cached: CachedDocument = {
    json: '{"version":3}',
    etag: '"e2.1"',
    tier: 'l1',
    stale: false,
  };

  it('answers the cached document for the service and environment', async () => {
    const asked: string[] = [];
    const cache = {
      effective: async (slug: string, env: string) => (asked.push(`${slug}/${env}`), cached),
    };
    const service = new EffectiveViewService(cache as unknown as CatalogCache);
    await expect(service.view('checkout', 'prod')).resolves.toBe(cached);
    expect(asked).toEqual(['checkout/prod']);
  });

  it('answers 404 when the service does not exist', async () => {
    const cache = { effective: async () => undefined };
    const service = new EffectiveViewService(cache as unknown as CatalogCache);
    const failure = await service.view('ghost', 'prod').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProblemException);
    expect((failure as ProblemException).problem).toMatchObject({
      status: 404,
      detail: 'Service ghost does not exist',
    });
  });
});
