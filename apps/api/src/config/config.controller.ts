import { Body, Controller, Delete, Get, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RollbackConfigDto, SetConfigDto } from '#domain/config.dto';
import { ReasonDto } from '#domain/service.dto';
import type { EventType } from '#domain/event.model';
import { ConfigEntriesService } from './config.service.js';
import { ConfigHistoryQueryDto } from './config-history.dto.js';
import { WritesService } from '../writes/writes.service.js';
import { Write, type WriteContext } from '../writes/write-context.decorator.js';
import { EventWrite } from '../writes/event-write.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ConfigEntryPath, ServiceEnvironmentPath } from '../http/path-params.dto.js';
import { sendDocument } from '../http/request-context.js';
import { ApiTaggedRead } from '../openapi/openapi.decorators.js';
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
    @Param() { slug, env }: ServiceEnvironmentPath,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(reply, await this.config.environment(slug, env, request.grant));
  }

  @Get(':key')
  @ApiOperation({ summary: 'One entry' })
  @ApiTaggedRead(ConfigEntryResourceSchema, 'The service or the entry does not exist')
  async get(
    @Param() { slug, env, key }: ConfigEntryPath,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(reply, await this.config.entry(slug, env, key, request.grant));
  }

  @Put(':key')
  @EventWrite({
    summary: 'Set an entry: a new version with any JSON value up to 64 KiB',
    resource: ConfigEntryResourceSchema,
    creates: 'first-version',
  })
  set(@Param() path: ConfigEntryPath, @Body() body: SetConfigDto, @Write() write: WriteContext) {
    return this.writeEntry(write, 'config.set', path, body);
  }

  @Get(':key/history')
  @ApiOperation({
    summary: 'The versions the entry has had, newest first, paged; or the JSON Patch between two',
    description:
      '`limit` (≤ 200, default 100) and the opaque `cursor` page the versions. With `from` and `to`, the answer is instead the JSON Patch (RFC 6902, `application/json-patch+json`) that turns the value of version `from` into the value of version `to`.',
  })
  @ApiTaggedRead(ConfigHistorySchema, 'The service does not exist or never had the entry')
  async history(
    @Param() { slug, env, key }: ConfigEntryPath,
    @Query() query: ConfigHistoryQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const history = await this.config.history(slug, env, key, query, request.grant);
    sendDocument(reply, history, history.contentType);
  }

  @Post(':key/rollback')
  @EventWrite({
    summary: 'Roll an entry back to an earlier version',
    description:
      'Writes a new version whose value and description equal those of `toVersion`. A version the entry never had is rejected (422 with `Prefer: wait`). Works after a delete too: the history stays.',
    resource: ConfigEntryResourceSchema,
  })
  rollback(
    @Param() path: ConfigEntryPath,
    @Body() body: RollbackConfigDto,
    @Write() write: WriteContext,
  ) {
    return this.writeEntry(write, 'config.rolled-back', path, body);
  }

  @Delete(':key')
  @EventWrite({ summary: 'Remove an entry (its history stays)' })
  remove(@Param() path: ConfigEntryPath, @Body() body: ReasonDto, @Write() write: WriteContext) {
    return this.writes.submit(write, 'config.deleted', { ...body, ...path });
  }

  /** A set or a rollback: once applied, either answers the entry as the writer may see it. */
  private writeEntry(write: WriteContext, type: EventType, path: ConfigEntryPath, body: object) {
    const entry = () => this.config.loadEntry(path.slug, path.env, path.key, write.grant);
    return this.writes.submit(write, type, { ...body, ...path }, entry);
  }
}
