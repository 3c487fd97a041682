import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ReasonDto } from '#domain/service.dto';
import { RequireRole } from '../auth/roles.decorator.js';
import { AdminTargets } from '#domain/admin-action.model';
import { Actor } from '../admin-audit/actor.decorator.js';
import { AdminAuditService } from '../admin-audit/admin-audit.service.js';
import { ConsistencyQueryDto, InvalidateCacheDto } from './admin-cache.dto.js';
import { CacheStatistics } from './cache-statistics.service.js';
import { CacheInvalidation } from './cache-invalidation.service.js';
import { RedisRebuild } from './redis-rebuild.service.js';
import { ConsistencyAuditor } from './consistency-auditor.service.js';

@Controller('admin')
@RequireRole('admin')
export class AdminCacheController {
  constructor(
    private readonly statistics: CacheStatistics,
    private readonly invalidation: CacheInvalidation,
    private readonly rebuilder: RedisRebuild,
    private readonly auditor: ConsistencyAuditor,
    private readonly audit: AdminAuditService,
  ) {}

  /** Hit ratio and size per tier, as this instance sees them. */
  @Get('cache/stats')
  stats() {
    return this.statistics.stats();
  }

  @Post('cache/invalidate')
  @HttpCode(200)
  async invalidate(@Body() body: InvalidateCacheDto, @Actor() actor: string) {
    const report = await this.invalidation.invalidate(body);
    await this.audit.record({
      type: 'admin.cache.invalidate',
      target: AdminTargets.cache(body.aggregate),
      actor,
      reason: body.reason,
      after: report,
    });
    return report;
  }

  @Post('cache/rebuild')
  @HttpCode(200)
  async rebuild(@Body() body: ReasonDto, @Actor() actor: string) {
    const report = await this.rebuilder.rebuild();
    await this.audit.record({
      type: 'admin.cache.rebuild',
      target: AdminTargets.cache(),
      actor,
      reason: body.reason,
      after: report,
    });
    return report;
  }

  @Get('consistency')
  consistency(@Query() query: ConsistencyQueryDto) {
    return this.auditor.audit(query.sample);
  }
}
