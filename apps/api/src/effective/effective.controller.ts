import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EffectiveQueryDto } from './effective-query.dto.js';
import { EffectiveViewService } from './effective.service.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { SlugParam } from '../http/validation.js';
import { sendDocument } from '../http/request-context.js';
import { ApiTaggedRead } from '../openapi/openapi.decorators.js';
import { EffectiveViewSchema } from '../openapi/response.schemas.js';

@ApiTags('Effective view')
@Controller('v1/services/:slug/effective')
export class EffectiveViewController {
  constructor(private readonly views: EffectiveViewService) {}

  /** The hot path: served from memory when nothing changed, sent as cached bytes. */
  @Get()
  @ApiOperation({
    summary: 'What a gateway or sidecar enforces for the service in one environment',
    description:
      'The service, its policies merged (service+env over service+`*` over the global default; a disabled winner hides the type) and its configuration for the environment. `version` and the `ETag` move whenever any input changes, a global default included; send `If-None-Match` to poll cheaply.',
  })
  @ApiTaggedRead(EffectiveViewSchema, 'The service does not exist')
  async get(
    @Param('slug', SlugParam) slug: string,
    @Query() query: EffectiveQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(request, reply, await this.views.view(slug, query.env));
  }
}
