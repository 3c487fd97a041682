import { jest } from '@jest/globals';
import type { Logger } from 'pino';
import type { WardenConfig } from '#config/warden-config';
import { effectiveEtag } from '#domain/effective-view';
import type { CatalogCache, CachedDocument } from '../read-model/catalog-cache.service.js';
import { CatalogChanges } from '../read-model/catalog-changes.js';
import type { ViewFrame } from './view-frame.js';
import { ViewHub } from './view-hub.service.js';
import type { WatchMetrics } from './watch.metrics.js';

/** A read model whose compositions the test answers one at a time, in order. */
class HeldCatalog {
  readonly pending: ((revision: number) => void)[] = [];

  effective(): Promise<CachedDocument | undefined> {
    return new Promise((resolve) =>
      this.pending.push((revision) =>
        resolve({
          json: JSON.stringify({ revision }),
          etag: effectiveEtag(revision, 0),
          tier: 'l2',
          stale: false,
        }),
      ),
    );
  }

  /** Answers the oldest composition waiting with the view at `revision`. */
  answer(revision: number): void {
    const next = this.pending.shift();
    if (!next) throw new Error('no composition is waiting');
    next(revision);
  }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe(ViewHub.name, () => {
  let catalog: HeldCatalog;
  let changes: CatalogChanges;
  let hub: ViewHub;
  const delivered: string[] = [];

  beforeEach(async () => {
    jest.useFakeTimers();
    catalog = new HeldCatalog();
    changes = new CatalogChanges();
    const metrics = {
      fanOut: { observe: () => undefined },
      deliveries: { inc: () => undefined },
    } as unknown as WatchMetrics;
    const config = { watch: { heartbeatSeconds: 15 } } as WardenConfig;
    const log = { warn: () => undefined } as unknown as Logger;
    hub = new ViewHub(catalog as unknown as CatalogCache, changes, metrics, config, log);
    hub.onModuleInit();
    delivered.length = 0;
    const prepared = hub.prepare('checkout', 'prod');
    await settle();
    catalog.answer(1);
    const topic = await prepared;
    hub.join(topic, {
      deliver: (_view, frame: ViewFrame) => void delivered.push(frame.etag ?? 'absent'),
      held: () => undefined,
    });
  });

  afterEach(() => {
    hub.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('composes a change heard during a composition at once, without waiting for a timer', async () => {
    changes.emit({ kind: 'service', slug: 'checkout', revision: 2 });
    await settle();
    changes.emit({ kind: 'service', slug: 'checkout', revision: 3 });
    catalog.answer(2);
    await settle();

    // No timer has run: the composition for revision 3 is already asked for.
    expect(catalog.pending).toHaveLength(1);
    catalog.answer(3);
    await settle();
    expect(delivered).toEqual([effectiveEtag(2, 0), effectiveEtag(3, 0)]);
  });

  it('looks again shortly when the read model does not show an announced change yet', async () => {
    changes.emit({ kind: 'service', slug: 'checkout', revision: 5 });
    await settle();
    catalog.answer(4);
    await settle();
    expect(catalog.pending).toHaveLength(0);

    jest.advanceTimersByTime(20);
    await settle();
    expect(catalog.pending).toHaveLength(1);
    catalog.answer(5);
    await settle();
    expect(delivered).toEqual([effectiveEtag(4, 0), effectiveEtag(5, 0)]);
  });
});
