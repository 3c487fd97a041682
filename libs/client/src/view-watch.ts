import { reconnectDelay } from './backoff.js';
import { SseParser } from './sse-parser.js';
import type { KnownView } from './view-cache-file.js';
import { WardenError, type EffectiveView, type ViewSource } from './types.js';

/** What a watch needs from its client: requests, settings and where views go. */
export interface WatchHost {
  url(path: string): string;
  headers(extra?: Record<string, string>): Record<string, string>;
  settings: {
    minReconnectMs: number;
    maxReconnectMs: number;
    idleTimeoutMs: number;
    pollWaitSeconds: number;
  };
  /** The view this client already holds (memory, else the cache file). */
  known(): KnownView<EffectiveView> | undefined;
  view(known: KnownView<EffectiveView>, source: ViewSource): void;
  absent(): void;
  error(error: Error): void;
}

/** Stream failures in a row after which the watch long-polls for a while. */
const STREAM_FAILURES_BEFORE_POLLING = 2;
/** Long polls answered before streaming is tried again. */
const POLLS_BEFORE_STREAMING_AGAIN = 5;

/**
 * One (service, environment) kept current: a stream, reopened with jittered backoff and
 * `Last-Event-ID`; long polls while streaming fails; the cached view while nothing answers.
 */
export class ViewWatch {
  private closed = false;
  private abort?: AbortController;
  private failures = 0;
  private streamFailures = 0;
  private polls = 0;
  private retryHintMs?: number;
  private sleeping?: { timer: NodeJS.Timeout; wake: () => void };
  private reachedOnce = false;

  constructor(
    private readonly path: string,
    private readonly host: WatchHost,
  ) {}

  start(): void {
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.abort?.abort();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const polling = this.streamFailures >= STREAM_FAILURES_BEFORE_POLLING;
      const recovering = this.failures > 0;
      try {
        if (polling) await this.poll();
        else await this.stream();
        this.failures = 0;
        // Warden answers again after an outage: streaming may work again too.
        if (polling && recovering) this.streamFailures = 0;
      } catch (error) {
        if (this.closed) return;
        this.failures++;
        if (!polling) this.streamFailures++;
        this.host.error(error instanceof Error ? error : new Error(String(error)));
        this.fallBackToCache();
      }
      if (this.closed) return;
      const base = this.retryHintMs ?? this.host.settings.minReconnectMs;
      const waitMs =
        this.failures === 0 && polling
          ? 0
          : reconnectDelay(this.failures, base, this.host.settings.maxReconnectMs);
      await this.sleep(waitMs);
    }
  }

  /** Nothing answered yet: the gateway starts from the last known good view, if any. */
  private fallBackToCache(): void {
    if (this.reachedOnce) return;
    this.reachedOnce = true;
    const cached = this.host.known();
    if (cached) this.host.view(cached, 'cache');
  }

  private async stream(): Promise<void> {
    const abort = (this.abort = new AbortController());
    const known = this.host.known();
    const response = await fetch(this.host.url(this.path), {
      headers: this.host.headers({
        accept: 'text/event-stream',
        ...(known ? { 'last-event-id': known.etag.replace(/"/g, '') } : {}),
      }),
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new WardenError(`stream answered ${response.status}`, response.status);
    }
    if (!/text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
      // Something between us and Warden does not stream: long-poll instead.
      await response.body.cancel();
      this.streamFailures = STREAM_FAILURES_BEFORE_POLLING;
      throw new WardenError('the answer is not an event stream');
    }
    this.reachedOnce = true;
    let idle = setTimeout(() => abort.abort(), this.host.settings.idleTimeoutMs);
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), this.host.settings.idleTimeoutMs);
    };
    const parser = new SseParser((event) => {
      alive();
      if (event.retry !== undefined) this.retryHintMs = event.retry;
      if (event.event === 'view' && event.id) {
        this.streamFailures = 0;
        this.host.view(
          { etag: `"${event.id}"`, view: JSON.parse(event.data) as EffectiveView },
          'stream',
        );
      } else if (event.event === 'absent') {
        this.host.absent();
      }
    }, alive);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.push(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      if (this.closed) return;
      throw error;
    } finally {
      clearTimeout(idle);
    }
    // The server ended the stream (a restart, a deploy): reconnect at once, resuming.
    this.streamFailures = 0;
  }

  private async poll(): Promise<void> {
    const abort = (this.abort = new AbortController());
    const known = this.host.known();
    const wait = this.host.settings.pollWaitSeconds;
    const response = await fetch(this.host.url(this.path), {
      headers: this.host.headers(
        known ? { 'if-none-match': known.etag, prefer: `wait=${wait}` } : {},
      ),
      signal: abort.signal,
    });
    this.reachedOnce = true;
    if (response.status === 200) {
      const etag = response.headers.get('etag') ?? '';
      this.host.view({ etag, view: (await response.json()) as EffectiveView }, 'poll');
    } else if (response.status === 404) {
      await response.body?.cancel();
      this.host.absent();
      await this.sleep(this.host.settings.minReconnectMs);
    } else if (response.status !== 304) {
      await response.body?.cancel();
      throw new WardenError(`long poll answered ${response.status}`, response.status);
    }
    if (++this.polls >= POLLS_BEFORE_STREAMING_AGAIN) {
      this.polls = 0;
      this.streamFailures = 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, wake: resolve };
    });
  }
}
