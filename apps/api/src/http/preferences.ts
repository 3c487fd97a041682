import { parseIfMatch } from '#domain/etag';
import { validationFailed } from './validation.js';

export const MAX_WAIT_SECONDS = 30;

/** `Prefer: wait=N` (RFC 7240), capped at `max` (30 s for writes); undefined when the client will not wait. */
export function preferredWait(
  header: string | string[] | undefined,
  max = MAX_WAIT_SECONDS,
): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(value);
  if (!match) return undefined;
  return Math.min(Number(match[1]), max);
}

/** The version a write expects from `If-Match`; a malformed value is a 400. */
export function expectedVersion(header: string | string[] | undefined): number | undefined {
  const parsed = parseIfMatch(Array.isArray(header) ? header[0] : header);
  if (parsed === 'invalid') {
    throw validationFailed([
      { field: 'If-Match', message: 'If-Match must be an ETag such as "3"' },
    ]);
  }
  return parsed;
}
