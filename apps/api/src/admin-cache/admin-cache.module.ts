import { Module } from '@nestjs/common';
import { AdminCacheController } from './admin-cache.controller.js';
import { CacheAdminService } from './cache-admin.service.js';
import { ConsistencyAuditor } from './consistency-auditor.service.js';

/** `/admin/cache/*` and `/admin/consistency`: the admin's view of and levers on the caches. */
@Module({
  controllers: [AdminCacheController],
  providers: [CacheAdminService, ConsistencyAuditor],
})
export class AdminCacheModule {}
