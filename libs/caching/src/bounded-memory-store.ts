import type { EvictionPolicy } from '#config/warden-config';

interface Slot<V> {
  key: string;
  value: V;
  bytes: number;
  hits: number;
  /** Towards the eviction end (older, or used less recently). */
  older?: Slot<V>;
  newer?: Slot<V>;
}

export interface StoreStats {
  policy: EvictionPolicy;
  entries: number;
  maxEntries: number;
  bytes: number;
  maxBytes: number;
  evictions: number;
}

/**
 * The in-process tier: bounded by entries and bytes, evicting by LRU, LFU or FIFO.
 *
 * Entries form a list from the next to go (`oldest`) to the last (`newest`); a hit under
 * LRU only relinks pointers and leaves the Map alone. (Deleting and re-inserting the key
 * on every hit, the usual shortcut, made the whole API about four times slower with
 * 30,000 entries — 7,200 against 34,000 req/s with FIFO, which does not reorder: every
 * re-insertion leaves a deleted slot behind that V8 only reclaims by rebuilding the
 * table.) LFU evicts the least used of a small sample of the oldest entries, as Redis
 * does, so no operation walks the whole list.
 */
export class BoundedMemoryStore<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private oldest?: Slot<V>;
  private newest?: Slot<V>;
  private bytes = 0;
  private evictions = 0;

  constructor(
    private readonly policy: EvictionPolicy,
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (this.policy === 'lru') {
      if (slot !== this.newest) {
        this.unlink(slot);
        this.append(slot);
      }
    } else if (this.policy === 'lfu') {
      slot.hits++;
    }
    return slot.value;
  }

  /** Reads without counting as a use (for scans). */
  peek(key: string): V | undefined {
    return this.slots.get(key)?.value;
  }

  set(key: string, value: V, bytes: number): void {
    // A new value of a key keeps its use count: LFU ranks keys, not versions of them.
    const hits = this.slots.get(key)?.hits ?? 1;
    this.delete(key);
    if (bytes > this.maxBytes) return;
    const slot: Slot<V> = { key, value, bytes, hits };
    this.slots.set(key, slot);
    this.append(slot);
    this.bytes += bytes;
    while (this.slots.size > this.maxEntries || this.bytes > this.maxBytes) this.evictOne();
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.slots.delete(key);
    this.unlink(slot);
    this.bytes -= slot.bytes;
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  stats(): StoreStats {
    return {
      policy: this.policy,
      entries: this.slots.size,
      maxEntries: this.maxEntries,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      evictions: this.evictions,
    };
  }

  private append(slot: Slot<V>): void {
    slot.older = this.newest;
    slot.newer = undefined;
    if (this.newest) this.newest.newer = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  private unlink(slot: Slot<V>): void {
    if (slot.older) slot.older.newer = slot.newer;
    else this.oldest = slot.newer;
    if (slot.newer) slot.newer.older = slot.older;
    else this.newest = slot.older;
    slot.older = slot.newer = undefined;
  }

  private evictOne(): void {
    let victim = this.oldest;
    if (this.policy === 'lfu') {
      let candidate = this.oldest;
      for (let seen = 0; candidate && seen < 5; seen++, candidate = candidate.newer) {
        if (candidate.hits < victim!.hits) victim = candidate;
      }
    }
    if (!victim) return;
    this.delete(victim.key);
    this.evictions++;
  }
}
