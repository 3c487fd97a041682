import type { EventType } from './event.model.js';

/** What limits a token's writes (absent: no limit of that kind). */
export interface WriteScope {
  teams?: readonly string[];
  envs?: readonly string[];
  /** Admins may set global defaults even when scoped. */
  admin: boolean;
}

/** What a write touches, as the API sees it before publishing. */
export interface WriteTarget {
  type: EventType;
  data: { slug?: unknown; env?: unknown; owner?: unknown; type?: unknown };
  /** The service's owner now; undefined when the service does not exist (or for defaults). */
  currentOwner?: string;
}

export type ScopeDecision =
  | { allowed: true }
  | { allowed: false; missing: 'team' | 'env' | 'unscoped'; detail: string; notFound?: boolean };

const ALLOWED: ScopeDecision = { allowed: true };

function teamCheck(scope: WriteScope, owner: string, what: string): ScopeDecision {
  if (!scope.teams || scope.teams.includes(owner)) return ALLOWED;
  return {
    allowed: false,
    missing: 'team',
    detail: `Missing team scope "${owner}": ${what}; this token writes only for teams ${scope.teams.join(', ')}`,
  };
}

function envCheck(scope: WriteScope, env: unknown): ScopeDecision {
  if (!scope.envs || (typeof env === 'string' && scope.envs.includes(env))) return ALLOWED;
  return {
    allowed: false,
    missing: 'env',
    detail: `Missing environment scope "${String(env)}": this token writes policies and configuration only in ${scope.envs.join(', ')}`,
  };
}

function existingServiceCheck(scope: WriteScope, target: WriteTarget): ScopeDecision {
  const slug = String(target.data.slug);
  if (target.currentOwner === undefined) {
    if (!scope.teams) return ALLOWED;
    return {
      allowed: false,
      missing: 'team',
      notFound: true,
      detail: `Service ${slug} does not exist; a team-scoped token writes only to existing services of its teams`,
    };
  }
  return teamCheck(
    scope,
    target.currentOwner,
    `service ${slug} is owned by ${target.currentOwner}`,
  );
}

/**
 * Who may change what: a token limited to teams writes only services owned by one of
 * them (and keeps them there), a token limited to environments writes policies and
 * configuration only there, and global defaults, which every service inherits, need an
 * unscoped writer or an admin.
 */
export function decideWriteScope(scope: WriteScope, target: WriteTarget): ScopeDecision {
  const scoped = scope.teams !== undefined || scope.envs !== undefined;
  if (!scoped) return ALLOWED;
  const { data } = target;
  switch (target.type) {
    case 'default-policy.set':
      return scope.admin
        ? ALLOWED
        : {
            allowed: false,
            missing: 'unscoped',
            detail:
              'Missing unscoped write access: global defaults apply to every team and need an unscoped writer or an admin',
          };
    case 'service.registered':
      return teamCheck(
        scope,
        String(data.owner),
        `the new service would be owned by ${String(data.owner)}`,
      );
    case 'service.updated': {
      const current = existingServiceCheck(scope, target);
      if (!current.allowed || typeof data.owner !== 'string') return current;
      return teamCheck(
        scope,
        data.owner,
        `the patch hands service ${String(data.slug)} to ${data.owner}`,
      );
    }
    case 'service.deleted': {
      const current = existingServiceCheck(scope, target);
      if (!current.allowed || !scope.envs) return current;
      return {
        allowed: false,
        missing: 'env',
        detail: `Missing environment scope for every environment: deleting service ${String(data.slug)} removes its configuration in all of them`,
      };
    }
    case 'policy.set':
    case 'policy.removed':
    case 'config.set':
    case 'config.rolled-back':
    case 'config.deleted': {
      const current = existingServiceCheck(scope, target);
      return current.allowed ? envCheck(scope, data.env) : current;
    }
  }
}
