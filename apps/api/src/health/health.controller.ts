import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { REDIS } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import { KAFKA_ADMIN } from '#messaging/messaging.constants';
import type { KafkaAdminClient } from '#messaging/kafka-admin';
import { Public } from '../auth/roles.decorator.js';
import { ReadinessProbe } from './readiness.js';

const STATUS = { schema: { type: 'object', properties: { status: { type: 'string' } } } };

@Controller('admin/health')
@Public()
export class HealthController {
  private readonly readiness: ReadinessProbe;

  constructor(
    @Inject(DATABASE) db: Database,
    @Inject(REDIS) redis: RedisConnection,
    @Inject(KAFKA_ADMIN) kafka: KafkaAdminClient,
  ) {
    this.readiness = new ReadinessProbe(db, redis, kafka);
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness' })
  @ApiOkResponse(STATUS)
  live() {
    return { status: 'ok' };
  }

  /** Ready when Kafka (writes) and PostgreSQL (the record) answer; Redis only speeds reads. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness, with the state of Kafka, PostgreSQL and Redis',
    description: 'Computed at most once a second; callers within that second share the answer.',
  })
  @ApiOkResponse(STATUS)
  @ApiServiceUnavailableResponse({ description: 'Kafka or PostgreSQL is not reachable' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const { ready, checks } = await this.readiness.current();
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks };
  }
}
