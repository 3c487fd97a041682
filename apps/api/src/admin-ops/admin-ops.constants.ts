export const REPLAY_LOG = Symbol('REPLAY_LOG');
export const PROJECTION_REBUILD = Symbol('PROJECTION_REBUILD');
