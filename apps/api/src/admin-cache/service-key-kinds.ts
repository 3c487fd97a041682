import type { ServiceKeyKind } from '#caching/cache-keys';

/** The Redis keys held per service: the resource and the snapshot of its effective views. */
export const SERVICE_KEY_KINDS: readonly ServiceKeyKind[] = ['svc', 'snap'];
