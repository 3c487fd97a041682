import { readFileSync } from 'node:fs';
import { parsePlainTokens, parseTokensFile, type TokenGrant } from './access-tokens.js';
import { loadKafkaSecurity, loadSigningKey, type KafkaSecurity } from './producer-identity.js';
import { loadSecretsKey } from './secret-cipher.js';

export type { Role, TokenGrant } from './access-tokens.js';
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo';

/** Every setting of both apps, read and validated once at start. */
export interface WardenConfig {
  port: number;
  workerPort: number;
  kafkaBrokers: string[];
  redisUrl: string;
  /** `REDIS_CLUSTER_NODES`: seed nodes of a Redis Cluster; when set, `redisUrl` is unused. */
  redisClusterNodes: RedisNode[];
  databaseUrl: string;
  /** Grants keyed by the SHA-256 (hex) of their token. */
  tokens: Map<string, TokenGrant>;
  /** WARDEN_TOKENS_FILE: re-read by the API when it changes. */
  tokensFile?: string;
  /** NODE_ENV=production. */
  production: boolean;
  /** WARDEN_SIGNING_KEY: the API signs each envelope with it, the worker checks it. */
  signingKey: string;
  /** WARDEN_RATE_LIMIT: requests per second per token across all API instances; 0: none. */
  rateLimit: number;
  /**
   * WARDEN_SECRETS_KEY (32 bytes): encrypts secret configuration values. Absent only in
   * production without the variable: secret writes are then refused.
   */
  secretsKey?: Buffer;
  /** WORKER_REQUIRE_SIGNED: dead-letter events the API did not sign. */
  requireSigned: boolean;
  /**
   * WORKER_AGGREGATE_CACHE_RESOURCES: how many resources (services, policies, configuration
   * entries) the worker keeps of the aggregates it applied, to skip reading them again; 0: none.
   */
  aggregateCacheResources: number;
  /**
   * WORKER_RUNS_IN_FLIGHT: 0 applies each partition's run in a transaction of its own;
   * N > 0 lets at most N small runs (under 50 events) apply at once and merges the small
   * runs of other partitions that arrive meanwhile into one (group commit); a backlog's
   * large runs apply side by side as with 0 (docs/operations.md).
   */
  runsInFlight: number;
  /** Credentials and TLS for the brokers (KAFKA_SASL_*, KAFKA_SSL*). */
  kafkaSecurity: KafkaSecurity;
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
  /** Caps the rules apply to what one service holds (see libs/domain governance-limits). */
  limits: {
    /** WARDEN_MAX_ENTRIES_PER_ENV: configuration entries per service and environment. */
    maxEntriesPerEnv: number;
    /** WARDEN_MAX_VERSIONS_PER_KEY: versions an entry's history keeps; older ones are pruned. */
    maxVersionsPerKey: number;
  };
  /** The API's HTTP server: how long a client may take, and how long a connection may idle. */
  http: HttpTimeouts;
  logLevel: string;
}

export interface HttpTimeouts {
  /** HTTP_REQUEST_TIMEOUT_SECONDS: to receive a whole request (headers and body). */
  requestTimeoutMs: number;
  /** HTTP_HEADERS_TIMEOUT_SECONDS: to receive a request's headers. */
  headersTimeoutMs: number;
  /**
   * HTTP_IDLE_TIMEOUT_SECONDS: a connection that neither sends nor receives for this long
   * is closed. Above 60 s: a long poll may hold a request that long without a byte.
   */
  idleTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: how long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
}

/** The longest a request may wait without a byte sent: `Prefer: wait=60` on a long poll. */
export const LONGEST_HELD_REQUEST_SECONDS = 60;

export interface RedisNode {
  host: string;
  port: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** The API serves tokens: only it refuses development tokens in production. */
  app?: 'api' | 'worker' | 'tool';
}

function loadTokens(env: Env, production: boolean, problems: string[]): Map<string, TokenGrant> {
  const file = env.WARDEN_TOKENS_FILE;
  if (!file) return parsePlainTokens(env.WARDEN_TOKENS, production, problems);
  if (env.WARDEN_TOKENS !== undefined) {
    problems.push('WARDEN_TOKENS and WARDEN_TOKENS_FILE are both set: keep only one');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`WARDEN_TOKENS_FILE cannot be read: ${(error as Error).message}`);
    return new Map();
  }
  const parsed = parseTokensFile(text);
  if (parsed.ok) return parsed.grants;
  problems.push(...parsed.problems.map((p) => `WARDEN_TOKENS_FILE ${file}: ${p}`));
  return new Map();
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): WardenConfig {
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

  const redisClusterNodes: RedisNode[] = [];
  for (const entry of (env.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)) {
    const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
    if (!match || Number(match[2]) > 65535) {
      problems.push(
        `REDIS_CLUSTER_NODES must be a comma-separated list of host:port, got "${env.REDIS_CLUSTER_NODES}"`,
      );
      break;
    }
    redisClusterNodes.push({ host: match[1], port: Number(match[2]) });
  }

  const production = env.NODE_ENV === 'production';
  const tokens = loadTokens(env, production && (options.app ?? 'api') === 'api', problems);

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

  const http = loadHttpTimeouts(int, problems);
  const watchHeartbeatSeconds = int('WATCH_HEARTBEAT_SECONDS', 15, 1);
  if (http.idleTimeoutMs > 0 && http.idleTimeoutMs <= watchHeartbeatSeconds * 1000) {
    problems.push(
      'HTTP_IDLE_TIMEOUT_SECONDS must be longer than WATCH_HEARTBEAT_SECONDS, or watch streams are cut between heartbeats',
    );
  }

  const config: WardenConfig = {
    port: port('PORT', 3000),
    workerPort: port('WORKER_PORT', 3100),
    kafkaBrokers,
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisClusterNodes,
    databaseUrl: url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/warden', [
      'postgres:',
      'postgresql:',
    ]),
    tokens,
    ...(env.WARDEN_TOKENS_FILE ? { tokensFile: env.WARDEN_TOKENS_FILE } : {}),
    production,
    signingKey: loadSigningKey(env, production && (options.app ?? 'api') !== 'tool', problems),
    requireSigned: bool('WORKER_REQUIRE_SIGNED', false),
    aggregateCacheResources: int('WORKER_AGGREGATE_CACHE_RESOURCES', 100_000, 0),
    runsInFlight: int('WORKER_RUNS_IN_FLIGHT', 0, 0),
    secretsKey: loadSecretsKey(env, production, problems),
    // Off in development (tests, benchmarks, `npm run up`), on by default in production.
    rateLimit: int('WARDEN_RATE_LIMIT', production ? 1000 : 0, 0),
    kafkaSecurity: loadKafkaSecurity(env, problems),
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
      heartbeatSeconds: watchHeartbeatSeconds,
      retryMs: int('WATCH_RETRY_MS', 2000, 0),
      maxPerToken: int('WATCH_MAX_PER_TOKEN', 2000, 1),
      maxPerInstance: int('WATCH_MAX_PER_INSTANCE', 20_000, 1),
      deliveryTtlSeconds: int('WATCH_DELIVERY_TTL_SECONDS', 15, 2),
    },
    limits: {
      maxEntriesPerEnv: int('WARDEN_MAX_ENTRIES_PER_ENV', 1000, 1),
      maxVersionsPerKey: int('WARDEN_MAX_VERSIONS_PER_KEY', 100, 1),
    },
    http,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
  if (problems.length > 0)
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

function loadHttpTimeouts(
  int: (name: string, fallback: number, min: number) => number,
  problems: string[],
): HttpTimeouts {
  const requestSeconds = int('HTTP_REQUEST_TIMEOUT_SECONDS', 30, 1);
  const headersSeconds = int('HTTP_HEADERS_TIMEOUT_SECONDS', 10, 1);
  const idleSeconds = int('HTTP_IDLE_TIMEOUT_SECONDS', 75, 0);
  const keepAliveSeconds = int('HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1);
  if (headersSeconds > requestSeconds) {
    problems.push('HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS');
  }
  if (idleSeconds > 0 && idleSeconds <= LONGEST_HELD_REQUEST_SECONDS) {
    problems.push(
      `HTTP_IDLE_TIMEOUT_SECONDS must be 0 (off) or above ${LONGEST_HELD_REQUEST_SECONDS}: a long poll (Prefer: wait=${LONGEST_HELD_REQUEST_SECONDS}) is silent that long, got "${idleSeconds}"`,
    );
  }
  return {
    requestTimeoutMs: requestSeconds * 1000,
    headersTimeoutMs: headersSeconds * 1000,
    idleTimeoutMs: idleSeconds * 1000,
    keepAliveTimeoutMs: keepAliveSeconds * 1000,
  };
}
