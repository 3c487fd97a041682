import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import type { SecretAudience } from '#domain/secret-value';
import { CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheRead, CacheTier, TieredCache } from '#caching/tiered-cache';
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
import { isDefaultsAggregate, slugOfServiceAggregate } from '#domain/event.model';
import { OutcomeListener } from '../outcomes/outcome-listener.service.js';
import { ProblemException } from '../http/problem.js';
import { RecordHealth } from './record-health.service.js';
import { CatalogChanges } from './catalog-changes.js';

/** A cached document ready to send: its JSON and its ETag, computed once per entry. */
export interface CachedDocument {
  json: string;
  etag: string;
  tier: CacheTier;
  /** PostgreSQL could not confirm it: sent with `x-warden-stale: true`. */
  stale: boolean;
}

/** A composed effective view and exactly which inputs it was composed from. */
interface ComposedView {
  snapshot: VersionedValue;
  defaults: VersionedValue;
  fresh: CachedDocument;
  stale: CachedDocument;
}

interface ParsedDefaults {
  value: VersionedValue;
  parsed: DefaultsSnapshot;
}

/**
 * The read side of the API: service resources and effective views from memory, then
 * Redis, then PostgreSQL. Effective views are composed here, at read time, from the
 * service's snapshot and the global defaults, so a change to a default costs one key
 * and no fan-out over services (see docs/caching.md).
 */
@Injectable()
export class CatalogCache {
  private readonly etags = new WeakMap<VersionedValue, string>();
  /**
   * Each composed view in L1 remembers the very snapshot and defaults objects it was
   * made from; it is valid only while L1 still holds those same objects, so dropping a
   * service's snapshot (or the defaults) retires all its composed views at once, for
   * every environment, without a list of them.
   */
  private readonly composed = new WeakMap<VersionedValue, ComposedView>();
  private defaults?: ParsedDefaults;

  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly loader: ReadModelLoader,
    private readonly health: RecordHealth,
    private readonly changes: CatalogChanges,
    outcomes: OutcomeListener,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {
    outcomes.onChange(
      (message) => this.invalidate(message),
      () => this.clear(),
    );
  }

  async service(slug: string): Promise<CachedDocument | undefined> {
    const read = await this.read(this.keys.service(slug), () => this.loader.service(slug));
    const { value } = read;
    if (value.json === undefined) return undefined;
    let etag = this.etags.get(value);
    if (!etag) {
      etag = versionEtag((JSON.parse(value.json) as { version: number }).version);
      this.etags.set(value, etag);
    }
    return { json: value.json, etag, tier: read.tier, stale: read.stale || this.health.down };
  }

  /**
   * The effective view: from memory when it can, else composed from the snapshot and the
   * defaults. Secrets are masked unless the audience is `revealed`; both views carry the
   * same ETag, made of revisions only.
   */
  async effective(
    slug: string,
    env: string,
    audience: SecretAudience = 'masked',
  ): Promise<CachedDocument | undefined> {
    const fromMemory = this.effectiveFromMemory(slug, env, audience);
    if (fromMemory) return fromMemory;
    const key = this.keys.effective(slug, env, audience);
    const snapshotKey = this.keys.snapshot(slug);
    const snapshotRead = await this.read(snapshotKey, () => this.loader.snapshot(slug));
    if (snapshotRead.value.json === undefined) return undefined;
    const defaults = await this.loadDefaults();
    const snapshot = JSON.parse(snapshotRead.value.json) as ServiceSnapshot;
    const open = audience === 'revealed' ? this.cipher.open : undefined;
    const json = JSON.stringify(
      EffectivePolicyResolver.compose(env, snapshot, defaults.parsed, undefined, open),
    );
    const etag = effectiveEtag(snapshot.revision, defaults.value.revision);
    const stale = snapshotRead.stale || this.health.down;
    const document: CachedDocument = { json, etag, tier: snapshotRead.tier, stale };
    // Kept only when both inputs are what memory holds now: an input that was replaced
    // or dropped while this view was composed would make it outdated from the start.
    if (
      !snapshotRead.stale &&
      this.cache.peekLocal(snapshotKey) === snapshotRead.value &&
      this.currentDefaults() === defaults
    ) {
      const value: VersionedValue = { revision: snapshot.revision, json };
      this.composed.set(value, {
        snapshot: snapshotRead.value,
        defaults: defaults.value,
        fresh: { json, etag, tier: 'l1', stale: false },
        stale: { json, etag, tier: 'l1', stale: true },
      });
      this.cache.putL1(key, value);
    }
    return document;
  }

  /**
   * The hot path: the composed view, synchronously, while memory still holds it and the
   * very snapshot and defaults it was made from.
   */
  effectiveFromMemory(
    slug: string,
    env: string,
    audience: SecretAudience = 'masked',
  ): CachedDocument | undefined {
    const cached = this.cache.peekLocal(this.keys.effective(slug, env, audience));
    const view = cached && this.composed.get(cached);
    if (
      !view ||
      view.snapshot !== this.cache.peekLocal(this.keys.snapshot(slug)) ||
      view.defaults !== this.currentDefaults()?.value
    ) {
      return undefined;
    }
    this.cache.countHit('l1');
    return this.health.down ? view.stale : view.fresh;
  }

  /** Drops this instance's copies of everything the change touched. */
  invalidate(message: Pick<EventOutcomeMessage, 'aggregate' | 'revision'>): void {
    if (isDefaultsAggregate(message.aggregate)) {
      // Announced with the revision of one policy type, not of the defaults as a whole.
      this.cache.invalidateLocal(this.keys.defaults());
      this.defaults = undefined;
      this.changes.emit({ kind: 'defaults' });
      return;
    }
    const slug = slugOfServiceAggregate(message.aggregate);
    if (slug === undefined) return;
    for (const key of [this.keys.service(slug), this.keys.snapshot(slug)]) {
      if (message.revision === undefined) this.cache.invalidateLocal(key);
      else this.cache.invalidateLocalBelow(key, message.revision);
    }
    this.changes.emit({ kind: 'service', slug, revision: message.revision });
  }

  clear(): void {
    this.cache.clearLocal();
    this.defaults = undefined;
    this.changes.emit({ kind: 'all' });
  }

  /** The parsed defaults, if L1 still holds the very value they were parsed from. */
  private currentDefaults(): ParsedDefaults | undefined {
    const defaults = this.defaults;
    return defaults && this.cache.peekLocal(this.keys.defaults()) === defaults.value
      ? defaults
      : undefined;
  }

  private async loadDefaults(): Promise<ParsedDefaults> {
    const read = await this.read(this.keys.defaults(), () => this.loader.defaults(), true);
    if (this.defaults?.value !== read.value) {
      const parsed = read.value.json
        ? (JSON.parse(read.value.json) as DefaultsSnapshot)
        : { policies: [], revision: read.value.revision };
      this.defaults = { value: read.value, parsed };
    }
    return this.defaults;
  }

  /**
   * One key through the tiers. PostgreSQL known down: answered from whatever the caches
   * hold, at once; nothing held and PostgreSQL failing: 503, never a 500.
   */
  private async read(
    key: string,
    load: () => Promise<VersionedValue>,
    uncounted = false,
  ): Promise<CacheRead> {
    try {
      return await this.cache.get(key, () => this.health.track(load()), {
        recordDown: this.health.down,
        uncounted,
      });
    } catch {
      throw new ProblemException(503, 'The catalog cannot be read right now; retry shortly', {
        headers: { 'retry-after': '1' },
      });
    }
  }
}
