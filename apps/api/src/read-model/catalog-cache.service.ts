import { Inject, Injectable } from '@nestjs/common';
import { CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheTier, TieredCache } from '#caching/tiered-cache';
import type { VersionedValue } from '#caching/versioned-redis.store';
import { ReadModelLoader } from '#caching/read-model.loader';
import type { EventOutcomeMessage } from '#caching/outcome-bus';
import {
  EffectivePolicyResolver,
  effectiveEtag,
  type DefaultsSnapshot,
  type ServiceSnapshot,
} from '#domain/effective-view';
import { versionEtag } from '#domain/etag';
import { OutcomeListener } from '../writes/outcome-listener.service.js';

/** A cached document ready to send: its JSON and its ETag, computed once per entry. */
export interface CachedDocument {
  json: string;
  etag: string;
  tier: CacheTier;
  stale: boolean;
}

interface EffectiveMeta {
  etag: string;
  defaultsRevision: number;
}

/**
 * The read side of the API: service resources and effective views from memory, then
 * Redis, then PostgreSQL. Effective views are composed here, at read time, from the
 * service's snapshot and the global defaults, so a change to a default costs one key
 * and no fan-out over services (see docs/architecture.md).
 */
@Injectable()
export class CatalogCache {
  private readonly etags = new WeakMap<VersionedValue, string>();
  private readonly effectiveMeta = new WeakMap<VersionedValue, EffectiveMeta>();
  /** The environments whose composed views are held in memory, per slug. */
  private readonly envsBySlug = new Map<string, Set<string>>();
  private defaults?: { value: VersionedValue; parsed: DefaultsSnapshot };

  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly loader: ReadModelLoader,
    outcomes: OutcomeListener,
  ) {
    outcomes.onChange(
      (message) => this.invalidate(message),
      () => this.clear(),
    );
  }

  async service(slug: string): Promise<CachedDocument | undefined> {
    const read = await this.cache.get(this.keys.service(slug), () => this.loader.service(slug));
    const { value } = read;
    if (value.json === undefined) return undefined;
    let etag = this.etags.get(value);
    if (!etag) {
      etag = versionEtag((JSON.parse(value.json) as { version: number }).version);
      this.etags.set(value, etag);
    }
    return { json: value.json, etag, tier: read.tier, stale: read.stale };
  }

  /** The hot path: a composed view straight from memory when nothing changed since. */
  async effective(slug: string, env: string): Promise<CachedDocument | undefined> {
    const key = this.keys.effective(slug, env);
    const composed = this.cache.peekFresh(key);
    if (composed && this.defaults) {
      const meta = this.effectiveMeta.get(composed);
      if (meta && meta.defaultsRevision === this.defaults.value.revision) {
        return { json: composed.json!, etag: meta.etag, tier: 'l1', stale: false };
      }
    }
    const snapshotRead = await this.cache.get(this.keys.snapshot(slug), () => this.loader.snapshot(slug));
    if (snapshotRead.value.json === undefined) return undefined;
    const defaults = await this.loadDefaults();
    const snapshot = JSON.parse(snapshotRead.value.json) as ServiceSnapshot;
    const view = EffectivePolicyResolver.compose(env, snapshot, defaults.parsed);
    const value: VersionedValue = { revision: snapshot.revision, json: JSON.stringify(view) };
    const etag = effectiveEtag(snapshot.revision, defaults.value.revision);
    this.effectiveMeta.set(value, { etag, defaultsRevision: defaults.value.revision });
    if (!snapshotRead.stale) {
      this.cache.putL1(key, value);
      let envs = this.envsBySlug.get(slug);
      if (!envs) this.envsBySlug.set(slug, (envs = new Set()));
      envs.add(env);
    }
    return { json: value.json!, etag, tier: snapshotRead.tier, stale: snapshotRead.stale };
  }

  private async loadDefaults(): Promise<{ value: VersionedValue; parsed: DefaultsSnapshot }> {
    const read = await this.cache.get(this.keys.defaults(), () => this.loader.defaults());
    if (this.defaults?.value !== read.value) {
      this.defaults = {
        value: read.value,
        parsed: read.value.json
          ? (JSON.parse(read.value.json) as DefaultsSnapshot)
          : { policies: [], revision: read.value.revision },
      };
    }
    return this.defaults;
  }

  /** Drops this instance's copies of everything the change touched. */
  invalidate(message: Pick<EventOutcomeMessage, 'aggregate' | 'revision'>): void {
    const drop = (key: string) =>
      message.revision === undefined
        ? this.cache.invalidateLocal(key)
        : this.cache.invalidateLocalBelow(key, message.revision);
    if (message.aggregate.startsWith('defaults:')) {
      this.cache.invalidateLocal(this.keys.defaults());
      this.defaults = undefined;
      return;
    }
    const slug = message.aggregate.slice('service:'.length);
    drop(this.keys.service(slug));
    drop(this.keys.snapshot(slug));
    for (const env of this.envsBySlug.get(slug) ?? []) drop(this.keys.effective(slug, env));
    this.envsBySlug.delete(slug);
  }

  clear(): void {
    this.cache.clearLocal();
    this.envsBySlug.clear();
    this.defaults = undefined;
  }
}
