/** A resource's ETag is its version, quoted as RFC 9110 requires. */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

/** Reads the version out of an `If-Match` value (`"3"`, `W/"3"` or `3`); undefined when absent. */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  return match ? Number(match[1]) : 'invalid';
}

/** True when any of the listed ETags (or `*`) matches. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weakless = (t: string) => t.trim().replace(/^W\//, '');
  const target = weakless(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || weakless(t) === target);
}
