import type { CatalogRepository } from '#persistence/catalog.repository';
import type { VersionedValue } from './versioned-redis.store.js';

/**
 * Reads the cacheable documents from PostgreSQL, each with the revision that orders
 * it. The API uses it to fill after a miss; the worker to refresh after a commit.
 */
export class ReadModelLoader {
  constructor(private readonly catalog: CatalogRepository) {}

  async service(slug: string): Promise<VersionedValue> {
    const { service, revision } = await this.catalog.findService(slug);
    return { revision, json: service ? JSON.stringify(service) : undefined };
  }

  async snapshot(slug: string): Promise<VersionedValue> {
    const { snapshot, revision } = await this.catalog.serviceSnapshot(slug);
    return { revision, json: snapshot ? JSON.stringify(snapshot) : undefined };
  }

  async defaults(): Promise<VersionedValue> {
    const defaults = await this.catalog.defaultsSnapshot();
    return { revision: defaults.revision, json: JSON.stringify(defaults) };
  }

  /** Every registered slug, in pages (for a rebuild of Redis). */
  async *slugs(pageSize = 500): AsyncGenerator<string[]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.catalog.listServices({ limit: pageSize, after });
      if (page.length > 0) yield page.map((service) => service.slug);
      if (page.length < pageSize) return;
      after = page[page.length - 1].slug;
    }
  }
}
