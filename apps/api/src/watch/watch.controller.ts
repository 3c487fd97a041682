import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CatalogRepository } from '#persistence/catalog.repository';
import { EventLogRepository } from '#persistence/event-log.repository';
import { parseEffectiveEtag } from '#domain/view-order';
import { effectiveVersion } from '#domain/effective-view';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { ServicePath } from '../http/path-params.dto.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { DeliveryReport, type DeliveryStatus } from './delivery-report.service.js';
import { DeliveryQueryDto, WatchQueryDto } from './watch-query.dto.js';
import { WatchStreams } from './watch-streams.service.js';

export const MAX_WATCHED_SERVICES = 1000;

@ApiTags('Watch')
@Controller('v1')
export class WatchController {
  constructor(
    private readonly streams: WatchStreams,
    private readonly delivery: DeliveryReport,
    private readonly catalog: CatalogCache,
    private readonly repository: CatalogRepository,
    private readonly eventLog: EventLogRepository,
  ) {}

  @Get('watch')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'One stream of the effective views of many services (Server-Sent Events)',
    description:
      '`services=a,b,…` (at most 1,000) or `owner=team`. Sends `event: view` with `{slug, env, etag, view}` for each service (`event: absent` with `{slug, env}` for one that does not exist), then `event: sync` once, then one event per change. A reconnect gets the current views again. See docs/api.md "Watch streams".',
  })
  async watch(
    @Query() query: WatchQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if ((query.services === undefined) === (query.owner === undefined))
      throw validationFailed([{ field: 'services', message: 'give either services or owner' }]);
    let slugs: string[];
    if (query.services !== undefined) {
      slugs = [...new Set(query.services.split(','))];
      if (slugs.length > MAX_WATCHED_SERVICES)
        throw validationFailed([
          { field: 'services', message: `at most ${MAX_WATCHED_SERVICES} services` },
        ]);
    } else {
      const owned = await this.repository.listServices({
        owner: query.owner,
        limit: MAX_WATCHED_SERVICES,
      });
      slugs = owned.map((service) => service.slug);
    }
    await this.streams.streamMany(slugs, query.env, request, reply);
  }

  @Get('services/:slug/effective/delivery')
  @ApiOperation({
    summary: 'How many watchers, on every API instance, hold the current effective view',
    description:
      '`current` watchers hold the view with the ETag answered here, `behind` an older one (or none yet). With `event` (an audit entry\'s `eventId` of a change to this service or to a global default): `change` names the revision it brought, `delivered` watchers hold a view that includes it and `pending` do not yet ("delivered to N of N"); an event that changed neither is a 404. Each instance reports about once a second.',
  })
  async deliveryOf(
    @Param() { slug }: ServicePath,
    @Query() query: DeliveryQueryDto,
  ): Promise<DeliveryStatus> {
    const change =
      query.event === undefined ? undefined : await this.eventLog.changeRevision(query.event, slug);
    if (query.event !== undefined && !change)
      throw new ProblemException(
        404,
        `No applied change ${query.event} to service ${slug} or to a global default`,
      );
    const document = await this.catalog.effective(slug, query.env);
    const current = document && {
      etag: document.etag,
      version: versionOf(document.etag),
    };
    return this.delivery.status(slug, query.env, current, change);
  }
}

function versionOf(etag: string): number {
  const revisions = parseEffectiveEtag(etag);
  return revisions ? effectiveVersion(revisions.service, revisions.defaults) : 0;
}
