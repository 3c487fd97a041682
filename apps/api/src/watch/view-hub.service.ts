import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { isOlderView, parseEffectiveEtag } from '#domain/view-order';
import type { SecretAudience } from '#domain/secret-value';
import { LOGGER } from '../api.constants.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { CatalogChanges, type CatalogChange } from '../read-model/catalog-changes.js';
import { ViewFrame } from './view-frame.js';
import type { ViewStream, ViewSubscriber, WatchedView } from './view-stream.js';
import { WatchMetrics } from './watch.metrics.js';

/**
 * Everything this instance's watchers of one (slug, env) and audience share: its latest
 * frame and them. Readers with the `secrets` scope watch a topic of their own, composed
 * with secrets opened; everyone else shares the masked one.
 */
export class ViewTopic implements WatchedView {
  frame?: ViewFrame;
  readonly subscribers = new Set<ViewSubscriber>();
  /** Subscribers between `prepare` and `join`: the topic must outlive their wait. */
  joining = 0;
  running?: Promise<void>;
  again = false;
  /** Set by a change announced with a revision the read model may not show yet. */
  expectedRevision = 0;

  constructor(
    readonly slug: string,
    readonly env: string,
    readonly audience: SecretAudience = 'masked',
  ) {}

  /** Its key among the topics of its service. */
  get name(): string {
    return topicName(this.env, this.audience);
  }
}

function topicName(env: string, audience: SecretAudience): string {
  return audience === 'revealed' ? `${env}:secrets` : env;
}

const RECHECK_DELAYS_MS = [20, 50, 100, 250, 500, 1000];

/**
 * This instance's fan-out: it hears each change once (from the read model, after the
 * caches dropped their copies), composes each affected view once and writes the same
 * bytes to every subscriber of it. No Redis or PostgreSQL round trip per watcher.
 */
@Injectable()
export class ViewHub implements OnModuleInit, OnApplicationShutdown {
  private readonly topics = new Map<string, Map<string, ViewTopic>>();
  private readonly streams = new Set<ViewStream>();
  private unsubscribe?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly catalog: CatalogCache,
    private readonly changes: CatalogChanges,
    private readonly metrics: WatchMetrics,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changes.subscribe((change) => this.changed(change));
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.heartbeat();
    }, this.config.watch.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  /** Ends every stream so the server can close; clients reconnect to another instance. */
  onApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  /** The topic of (slug, env, audience) with its current frame, held open until `join` or `abandon`. */
  async prepare(
    slug: string,
    env: string,
    audience: SecretAudience = 'masked',
  ): Promise<ViewTopic> {
    let byEnv = this.topics.get(slug);
    if (!byEnv) this.topics.set(slug, (byEnv = new Map()));
    const name = topicName(env, audience);
    let topic = byEnv.get(name);
    if (!topic) byEnv.set(name, (topic = new ViewTopic(slug, env, audience)));
    topic.joining++;
    try {
      while (!topic.frame) await (topic.running ?? this.refresh(topic));
    } catch (error) {
      this.abandon(topic);
      throw error;
    }
    return topic;
  }

  /** Adds a prepared subscriber; synchronous, so no change can fall between its first frame and it. */
  join(topic: ViewTopic, subscriber: ViewSubscriber): void {
    topic.joining--;
    topic.subscribers.add(subscriber);
  }

  abandon(topic: ViewTopic): void {
    topic.joining--;
    this.dropIfIdle(topic);
  }

  leave(topic: ViewTopic, subscriber: ViewSubscriber): void {
    topic.subscribers.delete(subscriber);
    this.dropIfIdle(topic);
  }

  track(stream: ViewStream): void {
    this.streams.add(stream);
  }

  untrack(stream: ViewStream): void {
    this.streams.delete(stream);
  }

  /** Every topic with subscribers on this instance (for delivery reports). */
  *watched(): Iterable<ViewTopic> {
    for (const byEnv of this.topics.values()) yield* byEnv.values();
  }

  topic(slug: string, env: string, audience: SecretAudience = 'masked'): ViewTopic | undefined {
    return this.topics.get(slug)?.get(topicName(env, audience));
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private changed(change: CatalogChange): void {
    if (change.kind === 'service') {
      const byEnv = this.topics.get(change.slug);
      if (!byEnv) return;
      for (const topic of byEnv.values()) {
        if (change.revision !== undefined)
          topic.expectedRevision = Math.max(topic.expectedRevision, change.revision);
        this.schedule(topic);
      }
      return;
    }
    // A global default changes every service's views; `all` follows a possible gap.
    for (const topic of this.watched()) this.schedule(topic);
  }

  private schedule(topic: ViewTopic): void {
    if (topic.running) topic.again = true;
    // A failed recomposition is logged; subscribers keep the view they hold until the next change.
    else this.refresh(topic).catch(() => undefined);
  }

  /** Composes the view (once, whatever the number of subscribers) until no change is pending. */
  private refresh(topic: ViewTopic): Promise<void> {
    const run = (async () => {
      let attempt = 0;
      do {
        topic.again = false;
        const started = performance.now();
        const document = await this.catalog.effective(topic.slug, topic.env, topic.audience);
        const frame = document
          ? ViewFrame.view(topic.slug, topic.env, document.etag, document.json)
          : ViewFrame.absent(topic.slug, topic.env);
        this.publish(topic, frame);
        // A change heard while composing is composed at once: its revision is newer than
        // the frame just made, which is not the read model lagging. Only with nothing newer
        // heard does a frame behind the announcement mean a cache refresh in flight: then
        // look again shortly rather than miss the change.
        if (
          !topic.again &&
          this.behindAnnouncement(topic, frame) &&
          attempt < RECHECK_DELAYS_MS.length
        ) {
          await new Promise((r) => setTimeout(r, RECHECK_DELAYS_MS[attempt++]).unref());
          topic.again = true;
        }
        this.metrics.fanOut.observe((performance.now() - started) / 1000);
      } while (topic.again && (topic.subscribers.size > 0 || topic.joining > 0));
    })();
    topic.running = run;
    return run
      .catch((error: unknown) => {
        this.log.warn({ err: String(error), slug: topic.slug }, 'watched view not recomposed');
        throw error;
      })
      .finally(() => {
        topic.running = undefined;
        this.dropIfIdle(topic);
      });
  }

  private behindAnnouncement(topic: ViewTopic, frame: ViewFrame): boolean {
    if (topic.expectedRevision === 0) return false;
    const revisions = frame.etag ? parseEffectiveEtag(frame.etag) : undefined;
    if (revisions && revisions.service < topic.expectedRevision) return true;
    topic.expectedRevision = 0;
    return false;
  }

  private publish(topic: ViewTopic, frame: ViewFrame): void {
    const current = topic.frame;
    if (current && current.etag === frame.etag) return;
    if (current?.etag && frame.etag && isOlderView(frame.etag, current.etag)) return;
    topic.frame = frame;
    for (const subscriber of topic.subscribers) subscriber.deliver(topic, frame);
    this.metrics.deliveries.inc(topic.subscribers.size);
  }

  private dropIfIdle(topic: ViewTopic): void {
    if (topic.subscribers.size > 0 || topic.joining > 0 || topic.running) return;
    const byEnv = this.topics.get(topic.slug);
    if (byEnv?.get(topic.name) !== topic) return;
    byEnv.delete(topic.name);
    if (byEnv.size === 0) this.topics.delete(topic.slug);
  }
}
