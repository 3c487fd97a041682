import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RollbackConfigDto, SetConfigDto } from '#domain/config.dto';
import { ReasonDto } from '#domain/service.dto';
import { ConfigEntriesService } from './config.service.js';
import { ConfigHistoryQueryDto } from './config-history.dto.js';
import { EventGateway } from '../writes/event-gateway.service.js';
import { answerWrite } from '../writes/write-responder.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { EnvParam, KeyParam, SlugParam } from '../http/validation.js';
import { expectedVersion, preferredWait } from '../http/preferences.js';
import { writerOf, requestIdOf, sendDocument } from '../http/request-context.js';
import { ApiEventWrite, ApiTaggedRead } from '../openapi/openapi.decorators.js';
import {
  ConfigEntryResourceSchema,
  ConfigHistorySchema,
  ConfigListSchema,
} from '../openapi/response.schemas.js';

/**
 * Configuration entries per service and environment. Every set or rollback is a new
 * version in the entry's history; version numbers never repeat, not even after a delete.
 */
@ApiTags('Configuration')
@Controller('v1/services/:slug/config/:env')
export class ConfigEntriesController {
  constructor(
    private readonly config: ConfigEntriesService,
    private readonly gateway: EventGateway,
  ) {}

  @Get()
  @ApiOperation({ summary: "The environment's entries with their versions" })
  @ApiTaggedRead(ConfigListSchema, 'The service does not exist')
  async list(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(request, reply, await this.config.environment(slug, env));
  }

  @Get(':key')
  @ApiOperation({ summary: 'One entry' })
  @ApiTaggedRead(ConfigEntryResourceSchema, 'The service or the entry does not exist')
  async get(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(request, reply, await this.config.entry(slug, env, key));
  }

  @Put(':key')
  @RequireRole('writer')
  @ApiOperation({ summary: 'Set an entry: a new version with any JSON value up to 64 KiB' })
  @ApiEventWrite({ resource: ConfigEntryResourceSchema, creates: true })
  async set(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Body() body: SetConfigDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'config.set',
        data: { ...body, slug, env, key },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, {
      created: submitted.outcome?.version === 1,
      load: () => this.config.loadEntry(slug, env, key),
    });
  }

  @Get(':key/history')
  @ApiOperation({
    summary: 'The versions the entry has had, newest first, paged; or the JSON Patch between two',
    description:
      '`limit` (≤ 200, default 100) and the opaque `cursor` page the versions. With `from` and `to`, the answer is instead the JSON Patch (RFC 6902, `application/json-patch+json`) that turns the value of version `from` into the value of version `to`.',
  })
  @ApiTaggedRead(ConfigHistorySchema, 'The service does not exist or never had the entry')
  async history(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Query() query: ConfigHistoryQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const history = await this.config.history(slug, env, key, query);
    sendDocument(request, reply, history, history.contentType);
  }

  @Post(':key/rollback')
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Roll an entry back to an earlier version',
    description:
      'Writes a new version whose value and description equal those of `toVersion`. A version the entry never had is rejected (422 with `Prefer: wait`). Works after a delete too: the history stays.',
  })
  @ApiEventWrite({ resource: ConfigEntryResourceSchema })
  async rollback(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Body() body: RollbackConfigDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'config.rolled-back',
        data: { ...body, slug, env, key },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, {
      load: () => this.config.loadEntry(slug, env, key),
    });
  }

  @Delete(':key')
  @RequireRole('writer')
  @ApiOperation({ summary: 'Remove an entry (its history stays)' })
  @ApiBody({
    type: ReasonDto,
    required: false,
    description: 'An optional change message for the audit',
  })
  @ApiEventWrite({ removes: true })
  async remove(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
    @Body() body?: unknown,
  ) {
    const wait = preferredWait(prefer);
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    const submitted = await this.gateway.submit(
      {
        type: 'config.deleted',
        data: { slug, env, key, ...(reason !== undefined ? { reason } : {}) },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, { deleted: true });
  }
}
