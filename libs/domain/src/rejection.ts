/**
 * Why the worker refused an event that was a valid envelope. The code decides the
 * HTTP status a waiting writer sees: `conflict` 409, `not-found` 404, `rule` 422.
 */
export type RejectionCode = 'conflict' | 'not-found' | 'rule';

export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'Rejection';
  }
}

/** The version conflict of a writer whose expectation does not hold, if it does not. */
export function versionConflict(
  what: string,
  expected: number | undefined,
  current: number | undefined,
): Rejection | undefined {
  if (expected === undefined || current === expected) return undefined;
  return new Rejection(
    'conflict',
    `${what} is at version ${current ?? 'none'}, the write expected version ${expected}`,
  );
}

/** Throws a version conflict when the writer's expectation does not hold. */
export function assertExpectedVersion(
  what: string,
  expected: number | undefined,
  current: number | undefined,
): void {
  const conflict = versionConflict(what, expected, current);
  if (conflict) throw conflict;
}
