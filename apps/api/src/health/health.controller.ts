import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import type { Kafka } from 'kafkajs';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { REDIS } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import { KAFKA } from '#messaging/messaging.constants';
import { Public } from '../auth/roles.decorator.js';

type Check = 'up' | 'down';

@Controller('admin/health')
@Public()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready when Kafka (writes) and PostgreSQL (the record) answer; Redis only speeds reads. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [kafka, postgres, redis] = await Promise.all([
      this.checkKafka(),
      withTimeout(sql`select 1`.execute(this.db)),
      withTimeout(this.redis.ping()),
    ]);
    const checks = { kafka, postgres, redis };
    const ok = kafka === 'up' && postgres === 'up';
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }

  private async checkKafka(): Promise<Check> {
    const admin = this.kafka.admin();
    try {
      return await withTimeout(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

async function withTimeout(work: Promise<unknown>, ms = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
