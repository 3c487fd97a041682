import { validationFailed } from './validation.js';

/** Cursors are opaque to clients: base64url of the last position of the page. */
export function encodeBeforeCursor(position: number): string {
  return Buffer.from(JSON.stringify({ before: position }), 'utf8').toString('base64url');
}

export function decodeBeforeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      before?: unknown;
    };
    if (Number.isSafeInteger(parsed.before) && (parsed.before as number) > 0)
      return parsed.before as number;
  } catch {
    // falls through to the validation error
  }
  throw validationFailed([{ field: 'cursor', message: 'cursor is not one this API issued' }]);
}
