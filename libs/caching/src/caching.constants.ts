/** The general-purpose Redis connection (commands, scripts, publishing). */
export const REDIS = Symbol('REDIS');
export const CACHE_KEYS = Symbol('CACHE_KEYS');
export const TIERED_CACHE = Symbol('TIERED_CACHE');
export const OUTCOME_BUS = Symbol('OUTCOME_BUS');
export const CACHE_CONTROL_BUS = Symbol('CACHE_CONTROL_BUS');
/** Dedicated subscriber connections (a subscribed connection runs no other command). */
export const OUTCOMES_SUBSCRIBER = Symbol('OUTCOMES_SUBSCRIBER');
export const CACHE_CONTROL_SUBSCRIBER = Symbol('CACHE_CONTROL_SUBSCRIBER');
/** Optional: an app that counts hits and misses per tier provides a `CacheObserver` under it. */
export const CACHE_OBSERVER = Symbol('CACHE_OBSERVER');
