import { Injectable } from '@nestjs/common';

/**
 * What changed in the catalog, said after this instance has dropped its copies of it,
 * so a listener that reads again gets the new state. `all`: anything may have changed
 * (a flush, or the announcements channel reconnected after a gap).
 */
export type CatalogChange =
  { kind: 'service'; slug: string; revision?: number } | { kind: 'defaults' } | { kind: 'all' };

type CatalogChangeListener = (change: CatalogChange) => void;

/** The read model's change notifications, for whoever pushes views to readers (watch/). */
@Injectable()
export class CatalogChanges {
  private readonly listeners: CatalogChangeListener[] = [];

  subscribe(listener: CatalogChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  emit(change: CatalogChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
