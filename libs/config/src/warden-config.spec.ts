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
