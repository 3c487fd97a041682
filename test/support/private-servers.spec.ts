import pg from 'pg';
import { Redis } from 'ioredis';
import { PrivatePostgres, PrivateRedis } from './private-servers.js';

describe('private servers for fault tests', () => {
  it('starts, stops and restarts a private Redis', async () => {
    const server = await PrivateRedis.start();
    try {
      const client = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
      await server.stop();
      const down = new Redis(server.url, {
        maxRetriesPerRequest: 0,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      await expect(down.connect()).rejects.toThrow();
      await server.resume();
      const again = new Redis(server.url, { lazyConnect: true });
      await again.connect();
      expect(await again.ping()).toBe('PONG');
      again.disconnect();
    } finally {
      await server.dispose();
    }
  });

  it('starts, stops and restarts a private PostgreSQL cluster', async () => {
    const server = await PrivatePostgres.start();
    try {
      const query = async () => {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          return (await client.query('select 1 as one')).rows[0].one as number;
        } finally {
          await client.end();
        }
      };
      expect(await query()).toBe(1);
      await server.stop();
      await expect(query()).rejects.toThrow();
      await server.resume();
      expect(await query()).toBe(1);
    } finally {
      await server.dispose();
    }
  });
});
