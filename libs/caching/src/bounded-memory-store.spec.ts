import { BoundedMemoryStore } from './bounded-memory-store.js';

describe(BoundedMemoryStore.name, () => {
  const fill = (store: BoundedMemoryStore<string>, ...keys: string[]) =>
    keys.forEach((k) => store.set(k, k, 10));

  describe('lru', () => {
    it('evicts the entry used least recently when it holds too many', () => {
      const store = new BoundedMemoryStore<string>('lru', 3, 1_000);
      fill(store, 'a', 'b', 'c');
      store.get('a');
      store.set('d', 'd', 10);
      expect([...store.keys()].sort()).toEqual(['a', 'c', 'd']);
      expect(store.stats()).toMatchObject({ entries: 3, evictions: 1, policy: 'lru' });
    });

    it('keeps the entries in use among many, whatever order they were stored in', () => {
      const store = new BoundedMemoryStore<string>('lru', 1_000, 1_000_000);
      for (let i = 0; i < 1_000; i++) store.set(`k${i}`, 'v', 10);
      for (let i = 0; i < 1_000; i += 2) store.get(`k${i}`);
      for (let i = 0; i < 500; i++) store.set(`new${i}`, 'v', 10);
      const kept = [...store.keys()].filter((k) => k.startsWith('k'));
      expect(kept).toHaveLength(500);
      expect(kept.every((k) => Number(k.slice(1)) % 2 === 0)).toBe(true);
      store.delete('new499');
      store.delete('k0');
      store.set('last', 'v', 10);
      expect(store.stats()).toMatchObject({ entries: 999, bytes: 9_990 });
    });
  });

  describe('fifo', () => {
    it('evicts the oldest entry however often it was read', () => {
      const store = new BoundedMemoryStore<string>('fifo', 3, 1_000);
      fill(store, 'a', 'b', 'c');
      store.get('a');
      store.get('a');
      store.set('d', 'd', 10);
      expect([...store.keys()].sort()).toEqual(['b', 'c', 'd']);
    });
  });

  describe('lfu', () => {
    it('evicts the least used of the oldest entries and keeps the use count across new values', () => {
      const store = new BoundedMemoryStore<string>('lfu', 3, 1_000);
      fill(store, 'a', 'b', 'c');
      store.get('a');
      store.get('c');
      store.set('a', 'a2', 10);
      store.set('d', 'd', 10);
      expect([...store.keys()].sort()).toEqual(['a', 'c', 'd']);
    });
  });

  it('keeps its bytes under the bound, and refuses a single value larger than the bound', () => {
    const store = new BoundedMemoryStore<string>('lru', 100, 100);
    for (let i = 0; i < 10; i++) store.set(`k${i}`, 'v', 30);
    expect(store.stats()).toMatchObject({ entries: 3, bytes: 90 });
    store.set('huge', 'v', 101);
    expect(store.get('huge')).toBeUndefined();
  });

  it('accounts bytes when an entry is replaced or deleted', () => {
    const store = new BoundedMemoryStore<string>('lru', 10, 1_000);
    store.set('a', 'v', 40);
    store.set('a', 'v', 25);
    expect(store.stats().bytes).toBe(25);
    store.delete('a');
    expect(store.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});
