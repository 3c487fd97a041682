import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { OUTCOMES_SUBSCRIBER } from '#caching/caching.constants';
import { subscriberProvider, type RedisConnection } from '#caching/redis-client';
import { OutcomeListener } from './outcome-listener.service.js';

/**
 * The worker's announcements as this instance hears them: writers waiting with `Prefer:
 * wait` (writes/) and the caches that drop their copies (read-model/) both listen here.
 */
@Module({
  imports: [CachingModule],
  providers: [subscriberProvider(OUTCOMES_SUBSCRIBER, 'warden-outcomes'), OutcomeListener],
  exports: [OutcomeListener],
})
export class OutcomesModule implements OnApplicationShutdown {
  constructor(@Inject(OUTCOMES_SUBSCRIBER) private readonly subscriber: RedisConnection) {}

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }
}
