import { hash } from 'node:crypto';

export type Role = 'reader' | 'writer' | 'admin';
export const ROLES: readonly Role[] = ['reader', 'writer', 'admin'];
/** Extra rights a token may carry beyond its role. */
export const TOKEN_SCOPES = ['secrets'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenGrant {
  role: Role;
  /** The token's name: the actor recorded in the audit for its writes. */
  actor: string;
  /** Writes limited to services owned by these teams (absent: any team). */
  teams?: readonly string[];
  /** Writes of policies and configuration limited to these environments (absent: any). */
  envs?: readonly string[];
  scopes: readonly TokenScope[];
}

/** Tokens are known by their SHA-256 only: the process never keeps a token it did not receive. */
export function tokenDigest(token: string): string {
  // The one-shot hash: a quarter of createHash's cost, paid on every request (the hot read's too).
  return hash('sha256', token, 'hex');
}

const SLUG = /^[a-z][a-z0-9-]{1,62}$/;
const ENV = /^(\*|[a-z][a-z0-9-]{0,31})$/;
const NAME = /^[\w.@:-]{1,64}$/;
const FIELDS = new Set(['name', 'sha256', 'role', 'teams', 'envs', 'scopes']);

function list(
  entry: Record<string, unknown>,
  field: string,
  pattern: RegExp,
  problems: string[],
  where: string,
): string[] | undefined {
  const value = entry[field];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((v) => typeof v !== 'string' || !pattern.test(v))
  ) {
    problems.push(
      `${where}.${field} must be a non-empty array of strings matching ${pattern.source}`,
    );
    return undefined;
  }
  return value as string[];
}

/**
 * Parses the WARDEN_TOKENS_FILE document `{ tokens: [{ name, sha256, role, teams?, envs?,
 * scopes? }] }` into grants keyed by digest, or lists every problem it has.
 */
export function parseTokensFile(
  text: string,
): { ok: true; grants: Map<string, TokenGrant> } | { ok: false; problems: string[] } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  const tokens = (document as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) {
    return { ok: false, problems: ['must be { "tokens": [ ... ] } with at least one token'] };
  }
  const problems: string[] = [];
  const grants = new Map<string, TokenGrant>();
  const names = new Set<string>();
  tokens.forEach((raw: unknown, index) => {
    const where = `tokens[${index}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const entry = raw as Record<string, unknown>;
    const before = problems.length;
    for (const field of Object.keys(entry)) {
      if (!FIELDS.has(field)) problems.push(`${where}.${field} is not a known field`);
    }
    const { name, sha256, role } = entry;
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push(`${where}.name must match ${NAME.source}`);
    } else if (names.has(name)) problems.push(`${where}.name "${name}" is used twice`);
    if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
      problems.push(`${where}.sha256 must be 64 hex characters (the SHA-256 of the token)`);
    } else if (grants.has(sha256.toLowerCase())) problems.push(`${where}.sha256 is used twice`);
    if (!ROLES.includes(role as Role)) {
      problems.push(`${where}.role must be reader, writer or admin`);
    }
    const teams = list(entry, 'teams', SLUG, problems, where);
    const envs = list(entry, 'envs', ENV, problems, where);
    const scopes = list(
      entry,
      'scopes',
      new RegExp(`^(${TOKEN_SCOPES.join('|')})$`),
      problems,
      where,
    );
    if (problems.length > before) return;
    names.add(name as string);
    grants.set((sha256 as string).toLowerCase(), {
      role: role as Role,
      actor: name as string,
      ...(teams ? { teams } : {}),
      ...(envs ? { envs } : {}),
      scopes: (scopes ?? []) as TokenScope[],
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, grants };
}

export const DEVELOPMENT_TOKENS = 'reader:dev-reader,writer:dev-writer,admin:dev-admin';
const MIN_PRODUCTION_TOKEN_LENGTH = 24;

/**
 * WARDEN_TOKENS (`role:token[:name]`, plaintext: development only) into grants keyed by
 * digest. In production it is refused, and so is each token that a guess would find.
 */
export function parsePlainTokens(
  raw: string | undefined,
  production: boolean,
  problems: string[],
): Map<string, TokenGrant> {
  const grants = new Map<string, TokenGrant>();
  if (production) {
    problems.push(
      raw === undefined
        ? 'WARDEN_TOKENS_FILE is required with NODE_ENV=production (the development tokens of WARDEN_TOKENS are refused)'
        : 'WARDEN_TOKENS holds plaintext tokens and is for development only: with NODE_ENV=production use WARDEN_TOKENS_FILE',
    );
  }
  for (const entry of (raw ?? DEVELOPMENT_TOKENS)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [role, token, actor] = entry.split(':');
    if (!ROLES.includes(role as Role) || !token) {
      problems.push(
        `WARDEN_TOKENS entries must be role:token with role reader, writer or admin, got "${entry}"`,
      );
      continue;
    }
    if (production && raw !== undefined && token.startsWith('dev-')) {
      problems.push(`WARDEN_TOKENS: the ${role} token is a development token (dev-…)`);
    } else if (production && raw !== undefined && token.length < MIN_PRODUCTION_TOKEN_LENGTH) {
      problems.push(
        `WARDEN_TOKENS: the ${role} token is shorter than ${MIN_PRODUCTION_TOKEN_LENGTH} characters`,
      );
    }
    grants.set(tokenDigest(token), { role: role as Role, actor: actor || role, scopes: [] });
  }
  if (grants.size === 0) problems.push('WARDEN_TOKENS must list at least one role:token');
  return grants;
}
