/** The general-purpose Redis connection (commands, scripts, publishing). */
export const REDIS = Symbol('REDIS');
export const CACHE_KEYS = Symbol('CACHE_KEYS');
export const TIERED_CACHE = Symbol('TIERED_CACHE');
export const OUTCOME_BUS = Symbol('OUTCOME_BUS');
