import { createServer, type Server } from 'node:http';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { REDIS } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import { EventLogServer } from '#messaging/event-log.server';
import { LagReporter } from '../events/lag-reporter.js';
import { METRICS_REGISTRY } from '../worker.constants.js';

/** The worker's own small port: liveness, readiness and Prometheus metrics, no token. */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly transport: EventLogServer,
    private readonly lag: LagReporter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.route(req.url ?? '/').then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.workerPort, '0.0.0.0', () => resolve());
    });
  }

  private async route(url: string): Promise<{ status: number; type: string; body: string }> {
    const json = (status: number, body: unknown) => ({
      status,
      type: 'application/json',
      body: JSON.stringify(body),
    });
    if (url === '/health/live') return json(200, { status: 'ok' });
    if (url === '/health/ready') {
      const checks = {
        kafka: this.transport.isJoined() ? 'up' : 'down',
        postgres: await sql`select 1`.execute(this.db).then(
          () => 'up',
          () => 'down',
        ),
        redis: await this.redis.ping().then(
          () => 'up',
          () => 'down',
        ),
      };
      const ok = checks.kafka === 'up' && checks.postgres === 'up';
      return json(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
    }
    if (url === '/metrics') {
      // Lag from the broker's offsets: it grows even while this worker is stuck (a
      // database away), which the offsets it commits alone would not show.
      await withTimeout(this.lag.refresh(), 1000).catch(() => undefined);
      return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    }
    return json(404, { type: 'about:blank', title: 'Not Found', status: 404 });
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
