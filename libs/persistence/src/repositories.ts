import type { Provider } from '@nestjs/common';
import { DATABASE } from './persistence.constants.js';
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

export const repositoryProviders: Provider[] = REPOSITORIES.map((Repository) => ({
  provide: Repository,
  inject: [DATABASE],
  useFactory: (db: Database) => new Repository(db),
}));
