import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A view as the client keeps it: the effective view with the ETag that names it. */
export interface KnownView<V> {
  etag: string;
  view: V;
}

interface CacheFileContent<V> {
  views: Record<string, KnownView<V>>;
}

/**
 * The last known good view of each watched (service, environment), kept in one JSON file
 * so a gateway that restarts while Warden is unreachable starts from it.
 */
export class ViewCacheFile<V> {
  private readonly views: Record<string, KnownView<V>>;

  constructor(private readonly path: string | undefined) {
    this.views = path ? readViews<V>(path) : {};
  }

  get(key: string): KnownView<V> | undefined {
    return this.views[key];
  }

  /** Writes the file anew (to a temporary file first: a crash never leaves half a file). */
  put(key: string, known: KnownView<V>): void {
    if (!this.path) return;
    this.views[key] = known;
    const content: CacheFileContent<V> = { views: this.views };
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(content));
      renameSync(temporary, this.path);
    } catch {
      // A read-only or full disk must not stop the gateway: memory still has the view.
    }
  }
}

function readViews<V>(path: string): Record<string, KnownView<V>> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheFileContent<V>>;
    return parsed && typeof parsed.views === 'object' && parsed.views ? parsed.views : {};
  } catch {
    return {};
  }
}
