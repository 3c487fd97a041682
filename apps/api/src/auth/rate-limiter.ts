import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CACHE_KEYS, REDIS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { AccessRegistry } from './access-registry.js';
import { LOGGER } from '../api.constants.js';
import { PROBLEM_CONTENT_TYPE, ProblemException } from '../http/problem.js';
import { toProblem } from '../http/problem-details.filter.js';

/**
 * One window per token and second, counted in Redis so every API instance shares it.
 * INCR and the expiry in one script: a window key never outlives its second by much,
 * even when an instance dies between the two.
 */
const COUNT_IN_WINDOW = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n`;

/**
 * WARDEN_RATE_LIMIT requests per second per token, the front door's gate: before anything
 * else runs, the early answer of the hot read included (which a gated instance tries after
 * the gate instead of in front of Fastify). Beyond it: 429 with Retry-After and the RateLimit
 * headers. Redis away: requests pass (a limit must not turn a cache outage into an
 * outage of reads) and the failure is logged once per second.
 */
@Injectable()
export class RateLimiter implements OnModuleInit {
  private lastWarning = 0;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly access: AccessRegistry,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    const limit = this.config.rateLimit;
    if (limit <= 0) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.frontDoor.gateWith(async (request, reply) => {
      const grant = this.access.identify(request.headers.authorization);
      if (!grant) return true;
      const count = await this.count(grant.actor, Math.floor(Date.now() / 1000));
      if (count === undefined) return true;
      // The window is the current second: it resets within one.
      void reply.headers({
        'ratelimit-limit': String(limit),
        'ratelimit-remaining': String(Math.max(0, limit - count)),
        'ratelimit-reset': '1',
      });
      if (count <= limit) return true;
      this.refuse(reply, limit, grant.actor);
      return false;
    });
  }

  private async count(tokenName: string, second: number): Promise<number | undefined> {
    try {
      return Number(
        await this.redis.eval(COUNT_IN_WINDOW, 1, this.keys.rateWindow(tokenName, second)),
      );
    } catch (error) {
      if (Date.now() - this.lastWarning > 1000) {
        this.lastWarning = Date.now();
        this.log.warn({ err: String(error) }, 'rate limit not counted: Redis unavailable');
      }
      return undefined;
    }
  }

  private refuse(reply: FastifyReply, limit: number, tokenName: string): void {
    const { problem, headers } = toProblem(
      new ProblemException(429, `The token ${tokenName} may send ${limit} requests per second`, {
        headers: { 'retry-after': '1' },
      }),
    );
    void reply
      .status(429)
      .headers(headers)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }
}
