import type { EvictionPolicy } from '#config/warden-config';

interface Slot<V> {
  value: V;
  bytes: number;
  hits: number;
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
 * LFU evicts the least used of a small sample of the oldest entries, as Redis does,
 * so no operation walks the whole map.
 */
export class BoundedMemoryStore<V> {
  private readonly slots = new Map<string, Slot<V>>();
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
      this.slots.delete(key);
      this.slots.set(key, slot);
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
    this.slots.set(key, { value, bytes, hits });
    this.bytes += bytes;
    while (this.slots.size > this.maxEntries || this.bytes > this.maxBytes) this.evictOne();
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.slots.delete(key);
    this.bytes -= slot.bytes;
    return true;
  }

  clear(): void {
    this.slots.clear();
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

  private evictOne(): void {
    let victim: string | undefined;
    if (this.policy === 'lfu') {
      let fewest = Infinity;
      let seen = 0;
      for (const [key, slot] of this.slots) {
        if (slot.hits < fewest) {
          fewest = slot.hits;
          victim = key;
        }
        if (++seen >= 5) break;
      }
    } else {
      victim = this.slots.keys().next().value;
    }
    if (victim === undefined) return;
    this.delete(victim);
    this.evictions++;
  }
}
