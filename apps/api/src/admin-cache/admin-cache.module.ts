import { Module } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { AdminAuditModule } from '../admin-audit/admin-audit.module.js';
import { AdminCacheController } from './admin-cache.controller.js';
import { CacheStatistics } from './cache-statistics.service.js';
import { CacheInvalidation } from './cache-invalidation.service.js';
import { RedisRebuild } from './redis-rebuild.service.js';
import { ConsistencyAuditor } from './consistency-auditor.service.js';

/** `/admin/cache/*` and `/admin/consistency`: the admin's view of and levers on the caches. */
@Module({
  imports: [CachingModule, ReadModelModule, AdminAuditModule],
  controllers: [AdminCacheController],
  providers: [CacheStatistics, CacheInvalidation, RedisRebuild, ConsistencyAuditor],
})
export class AdminCacheModule {}
