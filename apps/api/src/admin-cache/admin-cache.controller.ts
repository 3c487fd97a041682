import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { RequireRole } from '../auth/roles.decorator.js';
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
  ) {}

  /** Hit ratio and size per tier, as this instance sees them. */
  @Get('cache/stats')
  stats() {
    return this.statistics.stats();
  }

  @Post('cache/invalidate')
  @HttpCode(200)
  invalidate(@Body() body: InvalidateCacheDto) {
    return this.invalidation.invalidate(body);
  }

  @Post('cache/rebuild')
  @HttpCode(200)
  rebuild() {
    return this.rebuilder.rebuild();
  }

  @Get('consistency')
  consistency(@Query() query: ConsistencyQueryDto) {
    return this.auditor.audit(query.sample);
  }
}
