import { ConfigError, loadConfig } from './warden-config.js';
import { tokenDigest } from './access-tokens.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      workerPort: 3100,
      kafkaBrokers: ['127.0.0.1:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/warden',
    });
    expect(config.tokens.get(tokenDigest('dev-writer'))).toEqual({
      role: 'writer',
      actor: 'writer',
      scopes: [],
    });
    expect(config.tokens.get(tokenDigest('dev-admin'))?.role).toBe('admin');
  });

  it('reads tokens with an optional actor name', () => {
    const config = loadConfig({ WARDEN_TOKENS: 'writer:s3cret:deploy-bot, reader:r' });
    expect(config.tokens.get(tokenDigest('s3cret'))).toMatchObject({
      role: 'writer',
      actor: 'deploy-bot',
    });
    expect(config.tokens.get(tokenDigest('r'))).toMatchObject({ role: 'reader', actor: 'reader' });
    expect(config.tokens.has('s3cret')).toBe(false);
  });

  it('has HTTP timeouts and caps on by default, longer than the longest long poll', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 75_000,
      keepAliveTimeoutMs: 72_000,
    });
    expect(config.limits).toEqual({ maxEntriesPerEnv: 1000, maxVersionsPerKey: 100 });
  });

  it.each([
    [
      { HTTP_IDLE_TIMEOUT_SECONDS: '30' },
      /HTTP_IDLE_TIMEOUT_SECONDS must be 0 \(off\) or above 60/,
    ],
    [
      {
        HTTP_IDLE_TIMEOUT_SECONDS: '0',
        HTTP_REQUEST_TIMEOUT_SECONDS: '5',
        HTTP_HEADERS_TIMEOUT_SECONDS: '9',
      },
      /HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS/,
    ],
    [
      { HTTP_IDLE_TIMEOUT_SECONDS: '61', WATCH_HEARTBEAT_SECONDS: '90' },
      /longer than WATCH_HEARTBEAT_SECONDS/,
    ],
    [{ WARDEN_MAX_ENTRIES_PER_ENV: '0' }, /WARDEN_MAX_ENTRIES_PER_ENV must be an integer ≥ 1/],
    [{ WARDEN_MAX_VERSIONS_PER_KEY: 'many' }, /WARDEN_MAX_VERSIONS_PER_KEY must be an integer ≥ 1/],
  ])('refuses %p, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("applies each partition's run on its own unless WORKER_RUNS_IN_FLIGHT asks for group commit", () => {
    expect(loadConfig({}).runsInFlight).toBe(0);
    expect(loadConfig({ WORKER_RUNS_IN_FLIGHT: '2' }).runsInFlight).toBe(2);
  });

  it('reads the Redis Cluster seed nodes; none means the single Redis of REDIS_URL', () => {
    expect(loadConfig({}).redisClusterNodes).toEqual([]);
    const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:17000, redis-b:17001' });
    expect(config.redisClusterNodes).toEqual([
      { host: '127.0.0.1', port: 17000 },
      { host: 'redis-b', port: 17001 },
    ]);
  });

  it.each([
    ['PORT', 'eighty'],
    ['WORKER_PORT', '70000'],
    ['KAFKA_BROKERS', 'no-port'],
    ['REDIS_URL', 'http://x'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['WARDEN_TOKENS', 'root:x'],
    ['CACHE_L1_EVICTION', 'random'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:17000,127.0.0.1'],
    ['WORKER_RUNS_IN_FLIGHT', '-1'],
  ])('stops with a message that names %s when it is invalid', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('loadConfig in production', () => {
  const strong = 'x'.repeat(32);

  it.each([
    [
      'plaintext tokens at all',
      { WARDEN_TOKENS: `writer:${strong}` },
      /WARDEN_TOKENS holds plaintext/,
    ],
    ['no tokens (the development defaults)', {}, /WARDEN_TOKENS_FILE is required/],
    [
      'a dev- token',
      { WARDEN_TOKENS: 'writer:dev-writer-but-long-enough-1234' },
      /development token/,
    ],
    ['a short token', { WARDEN_TOKENS: 'writer:short-token' }, /shorter than 24/],
  ])('refuses %s, naming the variable', (_case, env, message) => {
    expect(() => loadConfig({ NODE_ENV: 'production', ...env })).toThrow(message);
    expect(() => loadConfig({ NODE_ENV: 'production', ...env })).toThrow(/WARDEN_TOKENS/);
  });

  it('lets the worker start without tokens (it serves none), not without a signing key', () => {
    const key = { WARDEN_SIGNING_KEY: 'k'.repeat(40) };
    expect(loadConfig({ NODE_ENV: 'production', ...key }, { app: 'worker' }).production).toBe(true);
    expect(() => loadConfig({ NODE_ENV: 'production' }, { app: 'worker' })).toThrow(
      /WARDEN_SIGNING_KEY/,
    );
  });

  it('names WARDEN_TOKENS_FILE when the file is missing', () => {
    expect(() => loadConfig({ WARDEN_TOKENS_FILE: '/nonexistent/tokens.json' })).toThrow(
      /WARDEN_TOKENS_FILE cannot be read/,
    );
  });
});
