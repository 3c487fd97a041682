import { audienceOf } from '../auth/secret-readers.js';
import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EffectiveQueryDto } from './effective-query.dto.js';
import { EffectiveViewService } from './effective.service.js';
import { WatchStreams } from '../watch/watch-streams.service.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ServicePath } from '../http/path-params.dto.js';
import { sendDocument } from '../http/request-context.js';
import { ApiTaggedRead } from '../openapi/openapi.decorators.js';
import { EffectiveViewSchema } from '../openapi/response.schemas.js';

@ApiTags('Effective view')
@Controller('v1/services/:slug/effective')
export class EffectiveViewController {
  constructor(
    private readonly views: EffectiveViewService,
    private readonly watch: WatchStreams,
  ) {}

  /** The hot path: served from memory when nothing changed, sent as cached bytes. */
  @Get()
  @ApiOperation({
    summary: 'What a gateway or sidecar enforces for the service in one environment',
    description:
      'The service, its policies merged (service+env over service+`*` over the global default; a disabled winner hides the type) and its configuration for the environment. `version` and the `ETag` move whenever any input changes, a global default included; send `If-None-Match` to poll cheaply. With `Accept: text/event-stream` the answer is a stream (Server-Sent Events): `event: view` (id = the ETag without quotes) now and after every change, `event: absent` while the service does not exist; `Last-Event-ID` naming the current view skips it. With `If-None-Match` and `Prefer: wait=N` (N ≤ 60) the request is held until the ETag differs (`200`) or the deadline (`304`). See docs/api.md "Watch streams".',
  })
  @ApiTaggedRead(EffectiveViewSchema, 'The service does not exist')
  async get(
    @Param() { slug }: ServicePath,
    @Query() query: EffectiveQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const mode = this.watch.mode(request);
    if (mode === 'stream') return this.watch.streamView(slug, query.env, request, reply);
    if (mode === 'poll') return this.watch.longPoll(slug, query.env, request, reply);
    sendDocument(reply, await this.views.view(slug, query.env, audienceOf(request.grant)));
  }
}
