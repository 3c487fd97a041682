import { Module } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { AccessRegistry } from './access-registry.js';
import { RateLimiter } from './rate-limiter.js';

/** Who a token is (one registry for the guard, the fast lane and the write path) and how often it may ask. */
@Module({
  imports: [CachingModule],
  providers: [AccessRegistry, RateLimiter],
  exports: [AccessRegistry],
})
export class AccessModule {}
