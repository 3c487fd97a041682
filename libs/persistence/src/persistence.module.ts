import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { DATABASE } from './persistence.constants.js';
import { createDatabase, type Database } from './database.js';
import { REPOSITORIES, repositoryProviders } from './repositories.js';

/** The PostgreSQL pool and the repositories over it; the pool closes last, at shutdown. */
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) =>
        createDatabase({ url: config.databaseUrl, schema: config.databaseSchema, poolSize: 20 }),
    },
    ...repositoryProviders,
  ],
  exports: [DATABASE, ...REPOSITORIES],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
