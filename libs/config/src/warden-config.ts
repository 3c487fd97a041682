export type Role = 'reader' | 'writer' | 'admin';
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo';

export interface TokenGrant {
  role: Role;
  /** The actor recorded in the audit for this token's writes. */
  actor: string;
}

/** Every setting of both apps, read and validated once at start. */
export interface WardenConfig {
  port: number;
  workerPort: number;
  kafkaBrokers: string[];
  redisUrl: string;
  databaseUrl: string;
  tokens: Map<string, TokenGrant>;
  /** Prefixes topics, Redis keys and the consumer group: lets test suites share servers. */
  namespace: string;
  /** PostgreSQL schema of the projections (tests give each suite its own). */
  databaseSchema: string;
  cache: {
    l1Enabled: boolean;
    l2Enabled: boolean;
    l1MaxEntries: number;
    l1MaxBytes: number;
    l1Eviction: EvictionPolicy;
    ttlSeconds: number;
    negativeTtlSeconds: number;
    /** How long "deleted" stays cached; a fill older than half of it is not written to Redis. */
    tombstoneTtlSeconds: number;
  };
  watch: {
    /** Seconds between the comment lines that keep idle streams (and proxies) alive. */
    heartbeatSeconds: number;
    /** The `retry:` hint sent on connect: how long a client waits before reconnecting. */
    retryMs: number;
    /** Open streams and long polls per token on one instance, and per instance. */
    maxPerToken: number;
    maxPerInstance: number;
    /** How long an instance's delivery report lives in Redis unless refreshed. */
    deliveryTtlSeconds: number;
  };
  logLevel: string;
}

export class ConfigError extends Error {}

const ROLES: readonly Role[] = ['reader', 'writer', 'admin'];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): WardenConfig {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name] ?? String(fallback);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      problems.push(`${name} must be a TCP port (0-65535), got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name] ?? String(fallback);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      problems.push(`${name} must be an integer ≥ ${min}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const url = (name: string, fallback: string, protocols: string[]): string => {
    const raw = env[name] ?? fallback;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${raw}"`);
    }
    return raw;
  };

  const kafkaBrokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (kafkaBrokers.length === 0 || kafkaBrokers.some((b) => !/^[^:\s]+:\d{1,5}$/.test(b))) {
    problems.push(
      `KAFKA_BROKERS must be a comma-separated list of host:port, got "${env.KAFKA_BROKERS}"`,
    );
  }

  const tokens = new Map<string, TokenGrant>();
  const rawTokens = env.WARDEN_TOKENS ?? 'reader:dev-reader,writer:dev-writer,admin:dev-admin';
  for (const entry of rawTokens
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [role, token, actor] = entry.split(':');
    if (!ROLES.includes(role as Role) || !token) {
      problems.push(
        `WARDEN_TOKENS entries must be role:token with role reader, writer or admin, got "${entry}"`,
      );
      continue;
    }
    tokens.set(token, { role: role as Role, actor: actor || role });
  }
  if (tokens.size === 0) problems.push('WARDEN_TOKENS must list at least one role:token');

  const eviction = (env.CACHE_L1_EVICTION ?? 'lru') as EvictionPolicy;
  if (!['lru', 'lfu', 'fifo'].includes(eviction)) {
    problems.push(`CACHE_L1_EVICTION must be lru, lfu or fifo, got "${eviction}"`);
  }
  const namespace = env.WARDEN_NAMESPACE ?? '';
  if (!/^[a-z0-9_-]{0,40}$/.test(namespace)) {
    problems.push(`WARDEN_NAMESPACE must match ^[a-z0-9_-]{0,40}$, got "${namespace}"`);
  }
  const databaseSchema = env.DATABASE_SCHEMA ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    problems.push(`DATABASE_SCHEMA must be a lower-case SQL identifier, got "${databaseSchema}"`);
  }

  const config: WardenConfig = {
    port: port('PORT', 3000),
    workerPort: port('WORKER_PORT', 3100),
    kafkaBrokers,
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    databaseUrl: url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/warden', [
      'postgres:',
      'postgresql:',
    ]),
    tokens,
    namespace,
    databaseSchema,
    cache: {
      l1Enabled: bool('CACHE_L1_ENABLED', true),
      l2Enabled: bool('CACHE_L2_ENABLED', true),
      l1MaxEntries: int('CACHE_L1_MAX_ENTRIES', 50_000, 1),
      l1MaxBytes: int('CACHE_L1_MAX_BYTES', 128 * 1024 * 1024, 1024),
      l1Eviction: eviction,
      ttlSeconds: int('CACHE_TTL_SECONDS', 3600, 1),
      negativeTtlSeconds: int('CACHE_NEGATIVE_TTL_SECONDS', 5, 1),
      tombstoneTtlSeconds: int('CACHE_TOMBSTONE_TTL_SECONDS', 60, 2),
    },
    watch: {
      heartbeatSeconds: int('WATCH_HEARTBEAT_SECONDS', 15, 1),
      retryMs: int('WATCH_RETRY_MS', 2000, 0),
      maxPerToken: int('WATCH_MAX_PER_TOKEN', 2000, 1),
      maxPerInstance: int('WATCH_MAX_PER_INSTANCE', 20_000, 1),
      deliveryTtlSeconds: int('WATCH_DELIVERY_TTL_SECONDS', 15, 2),
    },
    logLevel: env.LOG_LEVEL ?? 'info',
  };
  if (problems.length > 0)
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
