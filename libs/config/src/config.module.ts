import { Global, Module } from '@nestjs/common';
import { SECRET_CIPHER, WARDEN_CONFIG } from './config.constants.js';
import type { WardenConfig } from './warden-config.js';
import { SecretCipher } from './secret-cipher.js';

/** Makes the configuration, loaded once in main.ts, and the secrets' cipher injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: WardenConfig) {
    return {
      module: ConfigModule,
      providers: [
        { provide: WARDEN_CONFIG, useValue: config },
        { provide: SECRET_CIPHER, useValue: new SecretCipher(config.secretsKey) },
      ],
      exports: [WARDEN_CONFIG, SECRET_CIPHER],
    };
  }
}
