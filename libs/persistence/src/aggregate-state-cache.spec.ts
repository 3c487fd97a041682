import { AggregateStateCache } from './aggregate-state-cache.js';
import { emptyServiceAggregate, type ServiceAggregate } from '#domain/governance-state';

const NOW = '2026-12-02T06:00:00.000Z';

/** A service aggregate with `entries` configuration entries in env `prod`. */
function aState(slug: string, entries = 0): ServiceAggregate {
  return {
    ...emptyServiceAggregate(slug),
    service: {
      slug,
      name: slug,
      owner: 'team-a',
      tier: 1,
      lifecycle: 'production',
      tags: [],
      links: [],
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    },
    config: Array.from({ length: entries }, (_, i) => ({
      slug,
      env: 'prod',
      key: `k${i}`,
      value: { n: i },
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    })),
  };
}

const at = (revision: number, incarnation = 1) => ({ incarnation, revision });

/** Admits `state` the way an applier does: reached by a batch that then committed. */
function commit(
  cache: AggregateStateCache,
  aggregate: string,
  stamp: ReturnType<typeof at>,
  state: ServiceAggregate,
) {
  const batch = cache.begin();
  batch.reach(aggregate, stamp, state);
  batch.committed();
}

describe(AggregateStateCache.name, () => {
  describe('find', () => {
    it('answers a state only at the revision and incarnation it was committed with', () => {
      const cache = new AggregateStateCache(100);
      const state = aState('alpha');
      commit(cache, 'service:alpha', at(3), state);

      expect(cache.find('service:alpha', at(3))).toEqual(state);
      expect(cache.find('service:alpha', at(4))).toBeUndefined();
      commit(cache, 'service:alpha', at(3), state);
      // A rebuilt row counts revisions again under a new incarnation.
      expect(cache.find('service:alpha', at(3, 2))).toBeUndefined();
      expect(cache.find('service:alpha', at(3))).toBeUndefined();
    });
  });

  describe('begin', () => {
    it('keeps nothing of a batch that has not committed', () => {
      const cache = new AggregateStateCache(100);
      const batch = cache.begin();
      batch.reach('service:alpha', at(1), aState('alpha'));

      expect(cache.find('service:alpha', at(1))).toBeUndefined();
      batch.abandoned();
      expect(cache.find('service:alpha', at(1))).toBeUndefined();
    });

    it('drops what a failed batch looked up', () => {
      const cache = new AggregateStateCache(100);
      commit(cache, 'service:alpha', at(1), aState('alpha'));
      commit(cache, 'service:beta', at(1), aState('beta'));

      const batch = cache.begin();
      expect(batch.find('service:alpha', at(1))).toBeDefined();
      batch.reach('service:alpha', at(2), aState('alpha'));
      batch.abandoned();

      expect(cache.find('service:alpha', at(1))).toBeUndefined();
      expect(cache.find('service:alpha', at(2))).toBeUndefined();
      expect(cache.find('service:beta', at(1))).toBeDefined();
    });

    it('keeps the newer state when two batches hand back out of order', () => {
      const cache = new AggregateStateCache(100);
      const [older, newer] = [cache.begin(), cache.begin()];
      older.reach('service:alpha', at(1), aState('alpha'));
      newer.reach('service:alpha', at(2), aState('alpha', 1));
      newer.committed();
      older.committed();

      expect(cache.find('service:alpha', at(2))?.config).toHaveLength(1);
    });
  });

  describe('admit', () => {
    it('lets the least recently used states go once the resources exceed the cap', () => {
      const cache = new AggregateStateCache(10);
      commit(cache, 'service:a', at(1), aState('a', 3));
      commit(cache, 'service:b', at(1), aState('b', 3));
      expect(cache.find('service:a', at(1))).toBeDefined();
      commit(cache, 'service:c', at(1), aState('c', 3));

      expect(cache.find('service:b', at(1))).toBeUndefined();
      expect(cache.find('service:a', at(1))).toBeDefined();
      expect(cache.find('service:c', at(1))).toBeDefined();
      expect(cache.stats()).toMatchObject({ aggregates: 2, resources: 8 });
    });

    it('keeps no state larger than the cap, and nothing at all with a cap of 0', () => {
      const small = new AggregateStateCache(3);
      commit(small, 'service:big', at(1), aState('big', 3));
      expect(small.stats()).toMatchObject({ aggregates: 0, resources: 0 });

      const off = new AggregateStateCache(0);
      commit(off, 'service:a', at(1), aState('a'));
      expect(off.find('service:a', at(1))).toBeUndefined();
    });

    it('keeps deleted and empty aggregates, which a later registration reads', () => {
      const cache = new AggregateStateCache(10);
      commit(cache, 'service:gone', at(7), emptyServiceAggregate('gone'));

      expect(cache.find('service:gone', at(7))).toEqual(emptyServiceAggregate('gone'));
    });

    it("freezes what it keeps, and keeps of the history each entry's last version only", () => {
      const cache = new AggregateStateCache(10);
      const state: ServiceAggregate = {
        ...aState('alpha', 1),
        history: [
          { env: 'prod', key: 'k0', lastVersion: 4, versions: [] },
          { env: 'prod', key: 'k1', lastVersion: 2, versions: [{ version: 2, value: 'big' }] },
        ],
      };
      commit(cache, 'service:alpha', at(1), state);

      const kept = cache.find('service:alpha', at(1))!;
      expect(kept.history).toEqual([
        { env: 'prod', key: 'k0', lastVersion: 4, versions: [] },
        { env: 'prod', key: 'k1', lastVersion: 2, versions: [] },
      ]);
      expect(() => {
        (kept.config[0].value as { n: number }).n = 9;
      }).toThrow(TypeError);
      expect(() => (kept.config as unknown[]).push({})).toThrow(TypeError);
    });
  });
});
