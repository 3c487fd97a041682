import { stmt, type Statement } from './statement.js';

/** A replay holds the projections: appliers wait and retry instead of racing it. */
export class ProjectionsRebuilding extends Error {
  constructor() {
    super('the projections are being rebuilt by a replay; retrying');
    this.name = 'ProjectionsRebuilding';
  }
}

/**
 * The advisory lock that a replay holds exclusively and every batch shares; the key
 * includes the schema so that suites sharing a server do not block each other.
 */
export const projectionLockKey = stmt`hashtextextended('warden.projections:' || current_schema(), 0)`;

/**
 * A batch statement's condition on the projection lock: taken shared when `share`, or
 * `true` when the caller already holds it (a replay, exclusively).
 */
export function projectionLockShared(share: boolean): Statement {
  return share ? stmt`pg_try_advisory_xact_lock_shared(${projectionLockKey})` : stmt`true`;
}
