import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CACHE_KEYS, REDIS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { ViewHub, type ViewTopic } from './view-hub.service.js';
import { WatchMetrics } from './watch.metrics.js';

/** What one instance's watchers of one view hold: how many of them per ETag. */
interface InstanceReport {
  watchers: number;
  held: Record<string, number>;
  at: number;
}

export interface DeliveryStatus {
  etag: string | null;
  version: number | null;
  watchers: number;
  current: number;
  behind: number;
  instances: { instance: string; watchers: number; current: number }[];
}

const REPORT_INTERVAL_MS = 1000;

/**
 * Each instance writes, about once a second, what its watchers of each view hold into
 * one Redis hash per view (field: the instance id) with a short TTL; a query adds the
 * fields up. An instance that stops reporting drops out when its entry ages past the TTL.
 */
@Injectable()
export class DeliveryReport implements OnModuleInit, OnApplicationShutdown {
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private reported = new Set<string>();
  private reporting = false;

  constructor(
    private readonly hub: ViewHub,
    private readonly metrics: WatchMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.report(), REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const pipeline = this.redis.pipeline();
    for (const key of this.reported) pipeline.hdel(key, this.instance);
    await pipeline.exec().catch(() => undefined);
  }

  /** Writes this instance's entry for every watched view and removes those no longer watched. */
  async report(): Promise<void> {
    if (this.reporting) return;
    this.reporting = true;
    try {
      const ttlMs = this.config.watch.deliveryTtlSeconds * 1000;
      const pipeline = this.redis.pipeline();
      const now = new Map<string, InstanceReport>();
      let behind = 0;
      for (const topic of this.hub.watched()) {
        const entry = this.entryOf(topic);
        if (entry.watchers === 0) continue;
        behind += entry.watchers - (topic.frame?.etag ? (entry.held[topic.frame.etag] ?? 0) : 0);
        // A view's masked and opened topics share its ETags: one report adds both up.
        const key = this.keys.delivery(topic.slug, topic.env);
        now.set(key, merged(now.get(key), entry));
      }
      for (const [key, entry] of now)
        pipeline.hset(key, this.instance, JSON.stringify(entry)).pexpire(key, ttlMs);
      for (const key of this.reported) if (!now.has(key)) pipeline.hdel(key, this.instance);
      this.metrics.behind.set(behind);
      await pipeline.exec();
      this.reported = new Set(now.keys());
    } catch {
      // Redis away: the entries age out, and the next report writes them again.
    } finally {
      this.reporting = false;
    }
  }

  /** Adds up every live instance's entry for the view whose current ETag is `etag`. */
  async status(
    slug: string,
    env: string,
    current: { etag: string; version: number } | undefined,
  ): Promise<DeliveryStatus> {
    const fields = await this.redis.hgetall(this.keys.delivery(slug, env));
    const oldest = Date.now() - this.config.watch.deliveryTtlSeconds * 1000;
    const status: DeliveryStatus = {
      etag: current?.etag ?? null,
      version: current?.version ?? null,
      watchers: 0,
      current: 0,
      behind: 0,
      instances: [],
    };
    for (const [instance, raw] of Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))) {
      let entry: InstanceReport;
      try {
        entry = JSON.parse(raw) as InstanceReport;
      } catch {
        continue;
      }
      if (!(entry.at >= oldest) || !(entry.watchers > 0)) continue;
      const holding = current ? (entry.held[current.etag] ?? 0) : 0;
      status.watchers += entry.watchers;
      status.current += holding;
      status.instances.push({ instance, watchers: entry.watchers, current: holding });
    }
    status.behind = status.watchers - status.current;
    return status;
  }

  private entryOf(topic: ViewTopic): InstanceReport {
    const held: Record<string, number> = {};
    let watchers = 0;
    for (const subscriber of topic.subscribers) {
      const etag = subscriber.held(topic) ?? 'absent';
      held[etag] = (held[etag] ?? 0) + 1;
      watchers++;
    }
    return { watchers, held, at: Date.now() };
  }
}

function merged(a: InstanceReport | undefined, b: InstanceReport): InstanceReport {
  if (!a) return b;
  const held = { ...a.held };
  for (const [etag, count] of Object.entries(b.held)) held[etag] = (held[etag] ?? 0) + count;
  return { watchers: a.watchers + b.watchers, held, at: b.at };
}
