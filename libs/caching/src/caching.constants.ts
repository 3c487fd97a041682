/** The general-purpose Redis connection (commands, scripts, publishing). */
export const REDIS = Symbol('REDIS');
export const CACHE_KEYS = Symbol('CACHE_KEYS');
export const TIERED_CACHE = Symbol('TIERED_CACHE');
export const OUTCOME_BUS = Symbol('OUTCOME_BUS');
export const CACHE_CONTROL_BUS = Symbol('CACHE_CONTROL_BUS');
/** Optional: an app that counts hits and misses per tier provides a `CacheObserver` under it. */
export const CACHE_OBSERVER = Symbol('CACHE_OBSERVER');
