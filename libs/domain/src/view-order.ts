/** The two revisions an effective view's ETag `"e{service}.{defaults}"` is made of. */
export interface ViewRevisions {
  service: number;
  defaults: number;
}

export function parseEffectiveEtag(etag: string): ViewRevisions | undefined {
  const match = /^(?:W\/)?"?e(\d+)\.(\d+)"?$/.exec(etag.trim());
  return match ? { service: Number(match[1]), defaults: Number(match[2]) } : undefined;
}

/**
 * True when `candidate` is older than `current` in either input. Both revisions only
 * grow (a service registered again continues its aggregate's revision), so such a view
 * comes from a read that started before the change and must not replace the newer one:
 * a watcher never steps back.
 */
export function isOlderView(candidate: string, current: string): boolean {
  const a = parseEffectiveEtag(candidate);
  const b = parseEffectiveEtag(current);
  if (!a || !b) return false;
  return a.service < b.service || a.defaults < b.defaults;
}
