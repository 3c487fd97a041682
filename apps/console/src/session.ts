import { ApiError, WardenApi } from './api.js';

const TOKEN_KEY = 'warden.console.token';

export type Role = 'reader' | 'writer' | 'admin';

/** What the signed-in token may do; the pages grey out the rest. */
export interface Session {
  api: WardenApi;
  role: Role;
}

export function storedToken(storage: Storage = sessionStorage): string | null {
  return storage.getItem(TOKEN_KEY);
}

export function storeToken(token: string, storage: Storage = sessionStorage): void {
  storage.setItem(TOKEN_KEY, token);
}

export function forgetToken(storage: Storage = sessionStorage): void {
  storage.removeItem(TOKEN_KEY);
}

/**
 * The API has no "who am I", so the role is found by asking: a reader can list
 * services; an admin can read the cache statistics; a writer gets past the role check of
 * a write and is stopped by validation (400) — an empty body registers nothing.
 */
export async function probeRole(api: WardenApi): Promise<Role> {
  await api.get('/v1/services?limit=1');
  if (await allowed(() => api.get('/admin/cache/stats'))) return 'admin';
  if (await allowed(() => api.request('/v1/services', { method: 'POST', body: {} }))) {
    return 'writer';
  }
  return 'reader';
}

async function allowed(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401 && error.status !== 403) return true;
    if (error instanceof ApiError) return false;
    throw error;
  }
}

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

/** `true`, or why this token may not: the title of a greyed-out control. */
export function may(session: Session, needed: Role): true | string {
  if (RANK[session.role] >= RANK[needed]) return true;
  return `Needs a token with the ${needed} role; this one is a ${session.role}`;
}
