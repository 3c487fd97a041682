import { readFileSync } from 'node:fs';

type Env = Record<string, string | undefined>;

export interface KafkaSecurity {
  sasl?: {
    mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
    username: string;
    password: string;
  };
  /** TLS to the brokers; `ca` replaces the system's trusted authorities when given. */
  ssl?: { ca?: string };
}

const DEVELOPMENT_SIGNING_KEY = 'dev-signing-key-not-for-production';
const MIN_SIGNING_KEY_LENGTH = 32;
const MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;

/** WARDEN_SIGNING_KEY; in production it must be set, long and not the development one. */
export function loadSigningKey(env: Env, production: boolean, problems: string[]): string {
  const key = env.WARDEN_SIGNING_KEY;
  if (!production) return key || DEVELOPMENT_SIGNING_KEY;
  if (!key || key.length < MIN_SIGNING_KEY_LENGTH || key.startsWith('dev-')) {
    problems.push(
      `WARDEN_SIGNING_KEY must be set to a secret of at least ${MIN_SIGNING_KEY_LENGTH} characters with NODE_ENV=production (the same for the API and the worker)`,
    );
  }
  return key ?? '';
}

export function loadKafkaSecurity(env: Env, problems: string[]): KafkaSecurity {
  const security: KafkaSecurity = {};
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
    if (!MECHANISMS.includes(mechanism as (typeof MECHANISMS)[number])) {
      problems.push(`KAFKA_SASL_MECHANISM must be ${MECHANISMS.join(', ')}, got "${mechanism}"`);
    } else if (!username || !password) {
      problems.push(
        'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
      );
    } else {
      security.sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username, password };
    }
  }
  const ssl = env.KAFKA_SSL?.toLowerCase();
  if (ssl && !['true', 'false', '1', '0'].includes(ssl)) {
    problems.push(`KAFKA_SSL must be true or false, got "${env.KAFKA_SSL}"`);
  }
  const caFile = env.KAFKA_SSL_CA_FILE;
  if (ssl === 'true' || ssl === '1' || caFile) {
    security.ssl = {};
    if (caFile) {
      try {
        security.ssl.ca = readFileSync(caFile, 'utf8');
      } catch (error) {
        problems.push(`KAFKA_SSL_CA_FILE cannot be read: ${(error as Error).message}`);
      }
    }
  }
  return security;
}
