/** Injection token of the typed WardenConfig. */
export const WARDEN_CONFIG = Symbol('WARDEN_CONFIG');
