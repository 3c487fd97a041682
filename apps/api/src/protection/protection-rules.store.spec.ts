import type { Logger } from 'pino';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheControlBus } from '#caching/cache-control.bus';
import type { RedisConnection } from '#caching/redis-client';
import type {
  ProtectionRulesRepository,
  StoredProtectionRule,
} from '#persistence/protection-rules.repository';
import { ProblemException } from '../http/problem.js';
import { ProtectionRulesStore } from './protection-rules.store.js';

const aRule = (name: string, approvals = 1): StoredProtectionRule => ({
  name,
  match: { envs: ['prod'] },
  approvals,
  updatedBy: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** A table of rules that can be made unreadable, counting its reads. */
function rulesTable(initial: StoredProtectionRule[] = []) {
  const table = { rows: initial, down: false, reads: 0 };
  const repository = {
    list: async () => {
      table.reads += 1;
      if (table.down) throw new Error('connect ECONNREFUSED');
      return [...table.rows];
    },
    put: async (rule: StoredProtectionRule) => {
      const created = !table.rows.some((r) => r.name === rule.name);
      table.rows = [
        ...table.rows.filter((r) => r.name !== rule.name),
        aRule(rule.name, rule.approvals),
      ];
      return { created };
    },
    delete: async (name: string) => {
      const before = table.rows.length;
      table.rows = table.rows.filter((r) => r.name !== name);
      return table.rows.length < before;
    },
  };
  return { table, repository: repository as unknown as ProtectionRulesRepository };
}

function storeOver(repository: ProtectionRulesRepository) {
  const announced: unknown[] = [];
  const bus = {
    publish: async (command: unknown) => {
      announced.push(command);
      return 1;
    },
  } as unknown as CacheControlBus;
  const log = { warn: () => undefined } as unknown as Logger;
  const store = new ProtectionRulesStore(
    repository,
    bus,
    { controlChannel: () => 'cache-control' } as unknown as CacheKeys,
    {} as RedisConnection,
    log,
  );
  return { store, announced };
}

describe(ProtectionRulesStore.name, () => {
  describe('current', () => {
    it('reads the rules once and then answers from memory', async () => {
      const { table, repository } = rulesTable([aRule('prod')]);
      const { store } = storeOver(repository);
      expect((await store.current()).map((r) => r.name)).toEqual(['prod']);
      expect((await store.current()).map((r) => r.name)).toEqual(['prod']);
      expect(table.reads).toBe(1);
    });

    it('refuses writes with a 503 while the rules cannot be read, rather than let them through', async () => {
      const { table, repository } = rulesTable([aRule('prod')]);
      table.down = true;
      const { store } = storeOver(repository);
      const refused = await store.current().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ProblemException);
      expect((refused as ProblemException).problem.status).toBe(503);
      table.down = false;
      expect((await store.current()).map((r) => r.name)).toEqual(['prod']);
    });
  });

  describe('put and remove', () => {
    it('are in force on this instance when they answer, and announced to the others', async () => {
      const { repository } = rulesTable();
      const { store, announced } = storeOver(repository);
      expect(await store.current()).toEqual([]);
      const put = await store.put('prod', { match: { envs: ['prod'] }, approvals: 2 }, 'admin');
      expect(put.created).toBe(true);
      expect((await store.current()).map((r) => [r.name, r.approvals])).toEqual([['prod', 2]]);
      const replaced = await store.put(
        'prod',
        { match: { envs: ['prod'] }, approvals: 3 },
        'admin',
      );
      expect(replaced).toEqual(
        expect.objectContaining({
          created: false,
          before: expect.objectContaining({ approvals: 2 }),
        }),
      );
      expect((await store.remove('prod'))?.approvals).toBe(3);
      expect(await store.remove('prod')).toBeUndefined();
      expect(await store.current()).toEqual([]);
      expect(announced).toEqual([
        { kind: 'protection-rules' },
        { kind: 'protection-rules' },
        { kind: 'protection-rules' },
      ]);
    });
  });
});
