import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { RequireRole } from '../auth/roles.decorator.js';
import { METRICS_REGISTRY } from '#observability/observability.constants';

@Controller('metrics')
@RequireRole('admin')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    void reply.type(this.registry.contentType).send(await this.registry.metrics());
  }
}
