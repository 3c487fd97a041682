import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { REDIS } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import { KAFKA_ADMIN } from '#messaging/messaging.constants';
import type { KafkaAdminClient } from '#messaging/kafka-admin';
import { Public } from '../auth/roles.decorator.js';

type Check = 'up' | 'down';

const STATUS = { schema: { type: 'object', properties: { status: { type: 'string' } } } };

@Controller('admin/health')
@Public()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(KAFKA_ADMIN) private readonly kafka: KafkaAdminClient,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness' })
  @ApiOkResponse(STATUS)
  live() {
    return { status: 'ok' };
  }

  /** Ready when Kafka (writes) and PostgreSQL (the record) answer; Redis only speeds reads. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness, with the state of Kafka, PostgreSQL and Redis' })
  @ApiOkResponse(STATUS)
  @ApiServiceUnavailableResponse({ description: 'Kafka or PostgreSQL is not reachable' })
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

  /** The process's shared admin connection; the answer is reused for a second. */
  private async checkKafka(): Promise<Check> {
    return (await this.kafka.reachable()) ? 'up' : 'down';
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
