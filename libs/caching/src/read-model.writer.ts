import { slugOfServiceAggregate } from '#domain/event.model';
import type { CacheKeys } from './cache-keys.js';
import type { ReadModelLoader } from './read-model.loader.js';
import type { TieredCache } from './tiered-cache.js';

export interface WriteCount {
  /** Keys written (or rewritten at the same revision). */
  written: number;
  /** Keys left alone because Redis already held a newer revision. */
  newer: number;
}

/**
 * Writes an aggregate's current state from PostgreSQL into Redis through the
 * compare-and-set: the worker after each commit, the admin rebuild for everything.
 * What it writes was read after the change committed, so it needs no deadline; a
 * deleted service's state is absent at the delete's revision, which makes the tombstone.
 */
export class ReadModelWriter {
  constructor(
    private readonly cache: TieredCache,
    private readonly keys: CacheKeys,
    private readonly loader: ReadModelLoader,
  ) {}

  /** `aggregate` is `service:{slug}` or `defaults:{type}`; throws when Redis or PostgreSQL fails. */
  async write(aggregate: string): Promise<WriteCount> {
    const slug = slugOfServiceAggregate(aggregate);
    if (slug === undefined) {
      return count([await this.cache.putL2(this.keys.defaults(), await this.loader.defaults())]);
    }
    const [service, snapshot] = await Promise.all([
      this.loader.service(slug),
      this.loader.snapshot(slug),
    ]);
    return count(
      await Promise.all([
        this.cache.putL2(this.keys.service(slug), service),
        this.cache.putL2(this.keys.snapshot(slug), snapshot),
      ]),
    );
  }
}

function count(results: boolean[]): WriteCount {
  const written = results.filter(Boolean).length;
  return { written, newer: results.length - written };
}
