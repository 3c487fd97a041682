import { ViewCacheFile, type KnownView } from './view-cache-file.js';
import { ViewWatch, type WatchHost } from './view-watch.js';
import {
  WardenError,
  type EffectiveView,
  type ViewInfo,
  type WardenClientOptions,
  type Watch,
  type WatchHandlers,
} from './types.js';

type OnView = (view: EffectiveView, info: ViewInfo) => void;

interface Subscription {
  onView: OnView;
  handlers: WatchHandlers;
}

/**
 * Reads effective views from Warden and keeps them current by push: one stream per
 * watched (service, environment), the latest view in memory, and with `cacheFile` the
 * last known good view on disk for a start while Warden is unreachable.
 */
export class WardenClient {
  private readonly baseUrl: string;
  private readonly latest = new Map<string, KnownView<EffectiveView>>();
  private readonly watches = new Map<
    string,
    { watch: ViewWatch; subscriptions: Set<Subscription> }
  >();
  private readonly cache: ViewCacheFile<EffectiveView>;
  private readonly settings: WatchHost['settings'];

  constructor(private readonly options: WardenClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.cache = new ViewCacheFile(options.cacheFile);
    this.settings = {
      minReconnectMs: options.minReconnectMs ?? 500,
      maxReconnectMs: options.maxReconnectMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
      pollWaitSeconds: Math.min(options.pollWaitSeconds ?? 30, 60),
    };
  }

  /**
   * The effective view: from memory while a watch keeps it current, else from Warden,
   * else (Warden unreachable or failing) the last known good view of the cache file.
   */
  async effective(slug: string, env: string): Promise<EffectiveView> {
    const key = keyOf(slug, env);
    const watched = this.watches.has(key) ? this.latest.get(key) : undefined;
    if (watched) return watched.view;
    let response: Response;
    try {
      response = await fetch(this.url(pathOf(slug, env)), { headers: this.headers() });
    } catch (error) {
      return this.lastKnown(key, `Warden cannot be reached: ${String(error)}`);
    }
    if (response.status === 200) {
      const known = {
        etag: response.headers.get('etag') ?? '',
        view: (await response.json()) as EffectiveView,
      };
      this.remember(key, known);
      return known.view;
    }
    await response.body?.cancel();
    if (response.status >= 500) return this.lastKnown(key, `Warden answered ${response.status}`);
    throw new WardenError(
      `Warden answered ${response.status} for ${slug} in ${env}`,
      response.status,
    );
  }

  /**
   * Calls `onView` with the current view now and after every change, until `close()`.
   * Reconnects by itself (jittered backoff, resuming by `Last-Event-ID`), long-polls when
   * streaming fails, and starts from the cache file when Warden cannot be reached.
   */
  watch(slug: string, env: string, onView: OnView, handlers: WatchHandlers = {}): Watch {
    const key = keyOf(slug, env);
    const subscription: Subscription = { onView, handlers };
    let entry = this.watches.get(key);
    if (!entry) {
      const subscriptions = new Set<Subscription>();
      const watch = new ViewWatch(pathOf(slug, env), this.host(key, slug, env, subscriptions));
      entry = { watch, subscriptions };
      this.watches.set(key, entry);
      entry.subscriptions.add(subscription);
      watch.start();
    } else {
      entry.subscriptions.add(subscription);
      const current = this.latest.get(key);
      if (current) onView(current.view, { slug, env, etag: current.etag, source: 'stream' });
    }
    const owner = entry;
    return {
      close: () => {
        owner.subscriptions.delete(subscription);
        if (owner.subscriptions.size > 0) return;
        owner.watch.close();
        if (this.watches.get(key) === owner) this.watches.delete(key);
      },
    };
  }

  /** Ends every watch; the client can still answer `effective()`. */
  close(): void {
    for (const { watch } of this.watches.values()) watch.close();
    this.watches.clear();
  }

  private host(
    key: string,
    slug: string,
    env: string,
    subscriptions: Set<Subscription>,
  ): WatchHost {
    return {
      url: (path) => this.url(path),
      headers: (extra) => this.headers(extra),
      settings: this.settings,
      known: () => this.latest.get(key) ?? this.cache.get(key),
      view: (known, source) => {
        const previous = this.latest.get(key);
        if (source !== 'cache' && previous?.etag === known.etag) return;
        if (source !== 'cache') this.remember(key, known);
        else this.latest.set(key, known);
        for (const s of subscriptions)
          s.onView(known.view, { slug, env, etag: known.etag, source });
      },
      absent: () => {
        this.latest.delete(key);
        for (const s of subscriptions) s.handlers.onAbsent?.(slug, env);
      },
      error: (error) => {
        for (const s of subscriptions) s.handlers.onError?.(error);
      },
    };
  }

  private remember(key: string, known: KnownView<EffectiveView>): void {
    this.latest.set(key, known);
    this.cache.put(key, known);
  }

  private lastKnown(key: string, why: string): EffectiveView {
    const known = this.latest.get(key) ?? this.cache.get(key);
    if (known) return known.view;
    throw new WardenError(`${why}, and no view of it is known`);
  }

  private url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, ...extra };
  }
}

function keyOf(slug: string, env: string): string {
  return `${slug}/${env}`;
}

function pathOf(slug: string, env: string): string {
  return `/v1/services/${encodeURIComponent(slug)}/effective?env=${encodeURIComponent(env)}`;
}
