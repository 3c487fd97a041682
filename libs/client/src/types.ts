/** The effective view of a service in one environment, as Warden composes it. */
export interface EffectiveView {
  service: {
    slug: string;
    name: string;
    owner: string;
    tier: number;
    lifecycle: string;
    tags: string[];
  };
  policies: Record<string, Record<string, unknown>>;
  config: Record<string, unknown>;
  version: number;
  computedAt: string;
}

/** Where a view handed to `onView` came from. */
export type ViewSource = 'stream' | 'poll' | 'cache';

export interface ViewInfo {
  slug: string;
  env: string;
  /** The view's ETag as HTTP sends it (quoted). */
  etag: string;
  source: ViewSource;
}

export interface WatchHandlers {
  /** The service does not exist (any more); a later registration brings `onView` again. */
  onAbsent?: (slug: string, env: string) => void;
  /** A failed attempt; the watch goes on retrying by itself. */
  onError?: (error: Error) => void;
}

export interface WardenClientOptions {
  /** Where Warden's API is, e.g. `http://warden.internal:3000`. */
  baseUrl: string;
  token: string;
  /** A JSON file that keeps the last known good views, read when Warden cannot be reached. */
  cacheFile?: string;
  /** Reconnect delays: from `minReconnectMs` (or the server's `retry:` hint) up to `maxReconnectMs`. */
  minReconnectMs?: number;
  maxReconnectMs?: number;
  /** A stream silent for this long (no event, no heartbeat) is dropped and reopened. */
  idleTimeoutMs?: number;
  /** How long one long poll is held (seconds, ≤ 60) when streaming is not possible. */
  pollWaitSeconds?: number;
}

export interface Watch {
  close(): void;
}

export class WardenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WardenError';
  }
}
