import { WAIT } from '../support/http-client.js';
import { useStack } from '../support/stack.js';
import { aService, uniqueSlug } from '../support/builders.js';

describe('governance workflows, end to end', () => {
  const stack = useStack('workflows');
  const { client } = stack;

  describe('history of a configuration entry', () => {
    const slug = uniqueSlug('history');
    const path = `/v1/services/${slug}/config/prod/flags`;

    beforeAll(async () => {
      expect((await client.post('/v1/services', aService({ slug }), WAIT)).status).toBe(201);
      for (const value of [
        { beta: true, regions: ['eu'] },
        { beta: true, regions: ['eu', 'us'], 'a/b': 1 },
        { regions: ['us'], limit: 5 },
      ]) {
        expect([200, 201]).toContain((await client.put(path, { value }, WAIT)).status);
      }
    });

    it('answers the JSON Patch that turns one version into another', async () => {
      const diff = await client.as('reader').get(`${path}/history?from=1&to=3`);
      expect(diff.status).toBe(200);
      expect(diff.headers.get('content-type')).toMatch(/^application\/json-patch\+json/);
      // PostgreSQL's jsonb orders members (shorter names first), so the patch follows that order.
      expect(diff.body).toEqual([
        { op: 'remove', path: '/beta' },
        { op: 'add', path: '/limit', value: 5 },
        { op: 'replace', path: '/regions/0', value: 'us' },
      ]);
      const back = await client.get(`${path}/history?from=3&to=2`);
      expect(back.body).toEqual([
        { op: 'remove', path: '/limit' },
        { op: 'add', path: '/a~1b', value: 1 },
        { op: 'add', path: '/beta', value: true },
        { op: 'replace', path: '/regions/0', value: 'eu' },
        { op: 'add', path: '/regions/1', value: 'us' },
      ]);
      expect((await client.get(`${path}/history?from=2&to=2`)).body).toEqual([]);
    });

    it('refuses a version the entry never had, or a from without a to', async () => {
      expect((await client.get(`${path}/history?from=1&to=9`)).status).toBe(404);
      const half = await client.get(`${path}/history?from=1`);
      expect(half.status).toBe(400);
      expect(half.body.errors[0].field).toBe('to');
      expect((await client.get(`${path}/history?from=zero&to=1`)).status).toBe(400);
    });

    it('pages the history, newest first', async () => {
      const first = await client.get(`${path}/history?limit=2`);
      expect(first.body.items.map((v: { version: number }) => v.version)).toEqual([3, 2]);
      const second = await client.get(`${path}/history?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
      expect(second.body.nextCursor).toBeNull();
      expect((await client.get(`${path}/history`)).body.items).toHaveLength(3);
      expect((await client.get(`${path}/history?cursor=bogus`)).status).toBe(400);
    });
  });
});
