import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { DATABASE } from './persistence.constants.js';
import { createDatabase, type Database } from './database.js';
import { CatalogRepository } from './catalog.repository.js';
import { EventLogRepository } from './event-log.repository.js';
import { ProjectionRepository } from './projection.repository.js';

@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) =>
        createDatabase({ url: config.databaseUrl, schema: config.databaseSchema, poolSize: 20 }),
    },
    {
      provide: CatalogRepository,
      inject: [DATABASE],
      useFactory: (db: Database) => new CatalogRepository(db),
    },
    {
      provide: EventLogRepository,
      inject: [DATABASE],
      useFactory: (db: Database) => new EventLogRepository(db),
    },
    {
      provide: ProjectionRepository,
      inject: [DATABASE],
      useFactory: (db: Database) => new ProjectionRepository(db),
    },
  ],
  exports: [DATABASE, CatalogRepository, EventLogRepository, ProjectionRepository],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
