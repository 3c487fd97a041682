import type { Provider } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { DATABASE } from './persistence.constants.js';
import { AggregateStateCache } from './aggregate-state-cache.js';
import type { Database } from './database.js';
import { CatalogRepository } from './catalog.repository.js';
import { ChangeRequestRepository } from './change-request.repository.js';
import { DeadLetterRepository } from './dead-letter.repository.js';
import { EventLogRepository } from './event-log.repository.js';
import { GovernanceRepository } from './governance.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import { ProjectionRebuild } from './projection-rebuild.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProtectionRulesRepository } from './protection-rules.repository.js';
import { ReplayLogRepository } from './replay-log.repository.js';

/**
 * Every class that speaks SQL, each over the one shared pool: the only place a
 * repository is registered. A module that needs one imports PersistenceModule.
 */
export const REPOSITORIES = [
  CatalogRepository,
  ChangeRequestRepository,
  DeadLetterRepository,
  EventLogRepository,
  GovernanceRepository,
  OutboxRepository,
  ProjectionRebuild,
  ProjectionRepository,
  ProtectionRulesRepository,
  ReplayLogRepository,
] as const;

export const repositoryProviders: Provider[] = REPOSITORIES.map((Repository) =>
  Repository === ProjectionRepository
    ? {
        provide: Repository,
        inject: [DATABASE, WARDEN_CONFIG],
        // The applier's cache of aggregate states, bounded by WORKER_AGGREGATE_CACHE_RESOURCES.
        useFactory: (db: Database, config: WardenConfig) =>
          new ProjectionRepository(db, new AggregateStateCache(config.aggregateCacheResources)),
      }
    : { provide: Repository, inject: [DATABASE], useFactory: (db: Database) => new Repository(db) },
);
