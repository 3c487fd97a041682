import type { Provider } from '@nestjs/common';
import { DATABASE } from './persistence.constants.js';
import type { Database } from './database.js';
import { GovernanceRepository } from './governance.repository.js';

/** GovernanceRepository over the shared connection pool, for the modules that read governance state. */
export const governanceRepositoryProvider: Provider = {
  provide: GovernanceRepository,
  inject: [DATABASE],
  useFactory: (db: Database) => new GovernanceRepository(db),
};
