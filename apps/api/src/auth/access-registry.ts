import { stat, readFile } from 'node:fs/promises';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { Role, TokenGrant, WardenConfig } from '#config/warden-config';
import { parseTokensFile, tokenDigest } from '#config/access-tokens';
import { LOGGER } from '../api.constants.js';

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };
/** A changed tokens file is in force within this interval (the contract allows 5 s). */
const RELOAD_INTERVAL_MS = 1000;
/** Longer than any token a sane issuer makes; refused before hashing. */
const MAX_TOKEN_LENGTH = 512;

/**
 * The one place that decides who a bearer token is: the guard of every route and the
 * fast lane of the hot read both ask it.
 *
 * Tokens are looked up by their SHA-256, never compared as strings: the time a lookup
 * takes depends on the digest, which an attacker cannot steer towards a real token's
 * digest, so it leaks nothing about any token (the constant-time property a byte-wise
 * `timingSafeEqual` would give, without a loop over every grant). There is deliberately
 * no cache keyed by the raw token: a string-keyed Map compares the presented token with
 * stored ones byte by byte, which is exactly the timing leak hashing avoids, and the
 * hash costs about a microsecond per request (bench/results).
 */
@Injectable()
export class AccessRegistry implements OnModuleInit, OnModuleDestroy {
  private grants: Map<string, TokenGrant>;
  private timer?: NodeJS.Timeout;
  private fileStamp = '';

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.grants = config.tokens;
  }

  async onModuleInit(): Promise<void> {
    const file = this.config.tokensFile;
    if (!file) return;
    this.fileStamp = await this.stamp(file);
    this.timer = setInterval(() => void this.reloadIfChanged(file), RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The grant of an `Authorization: Bearer …` header, or undefined for none or an unknown token. */
  identify(authorization: string | undefined): TokenGrant | undefined {
    if (!authorization?.startsWith('Bearer ')) return undefined;
    // Only HTTP's own whitespace around it: String.trim would also strip Unicode spaces
    // (U+00A0, U+2028, …) and so accept a token with them as the token without.
    const token = authorization.slice(7).replace(/^[ \t]+|[ \t]+$/g, '');
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    return this.grants.get(tokenDigest(token));
  }

  /** True when the grant's role is at least the required one (`reader` < `writer` < `admin`). */
  static allows(grant: TokenGrant, required: Role): boolean {
    return RANK[grant.role] >= RANK[required];
  }

  private async stamp(file: string): Promise<string> {
    const info = await stat(file).catch(() => undefined);
    return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
  }

  /** A file that became invalid keeps the previous grants in force, loudly. */
  private async reloadIfChanged(file: string): Promise<void> {
    const stamp = await this.stamp(file);
    if (stamp === this.fileStamp) return;
    this.fileStamp = stamp;
    const text = await readFile(file, 'utf8').catch((error: Error) => error);
    const parsed =
      typeof text === 'string'
        ? parseTokensFile(text)
        : { ok: false as const, problems: [text.message] };
    if (!parsed.ok) {
      this.log.error(
        { file, problems: parsed.problems },
        'WARDEN_TOKENS_FILE is invalid; the previous tokens stay in force',
      );
      return;
    }
    this.grants = parsed.grants;
    this.log.info({ file, tokens: parsed.grants.size }, 'WARDEN_TOKENS_FILE reloaded');
  }
}
