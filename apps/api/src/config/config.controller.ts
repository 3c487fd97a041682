import { Body, Controller, Delete, Get, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DeleteConfigDto, RollbackConfigDto, SetConfigDto } from '#domain/config.dto';
import { ConfigEntriesService } from './config.service.js';
import { ConfigHistoryQueryDto } from './config-history.dto.js';
import { WritesService } from '../writes/writes.service.js';
import { WriteContext } from '../writes/write-context.decorator.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { EnvParam, KeyParam, SlugParam } from '../http/validation.js';
import { sendDocument } from '../http/request-context.js';
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
    private readonly writes: WritesService,
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
    sendDocument(request, reply, await this.config.environment(slug, env, request.grant));
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
    sendDocument(request, reply, await this.config.entry(slug, env, key, request.grant));
  }

  @Put(':key')
  @RequireRole('writer')
  @ApiOperation({ summary: 'Set an entry: a new version with any JSON value up to 64 KiB' })
  @ApiEventWrite({ resource: ConfigEntryResourceSchema, creates: true })
  set(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Body() body: SetConfigDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(
      write,
      'config.set',
      { ...body, slug, env, key },
      {
        creates: 'first-version',
        load: () => this.config.loadEntry(slug, env, key, write.grant),
      },
    );
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
    const history = await this.config.history(slug, env, key, query, request.grant);
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
  rollback(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Body() body: RollbackConfigDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(
      write,
      'config.rolled-back',
      { ...body, slug, env, key },
      {
        load: () => this.config.loadEntry(slug, env, key, write.grant),
      },
    );
  }

  @Delete(':key')
  @RequireRole('writer')
  @ApiOperation({ summary: 'Remove an entry (its history stays)' })
  @ApiEventWrite({ removes: true })
  remove(
    @Param('slug', SlugParam) slug: string,
    @Param('env', EnvParam) env: string,
    @Param('key', KeyParam) key: string,
    @Body() body: DeleteConfigDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(write, 'config.deleted', { ...body, slug, env, key });
  }
}
