import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN } from '#domain/policy.model';
import { sendDocument } from '../http/request-context.js';
import { CatalogCache } from './catalog-cache.service.js';
import { AccessRegistry } from '../auth/access-registry.js';
import { audienceOf } from '../auth/secret-readers.js';

/** The route of `EffectiveViewController`, as Fastify matched it. */
const EFFECTIVE_ROUTE = '/v1/services/:slug/effective';

/**
 * Answers `GET /v1/services/{slug}/effective` from memory before Nest's pipeline runs,
 * when — and only when — the answer is certain: a known token (every role may read), a
 * valid slug, `env` as the only and valid query parameter, and the composed view in L1.
 * Anything else goes on to `EffectiveViewController`, which is the full implementation
 * (misses, errors, problem documents); this lane only skips the guard, pipes and
 * validation machinery that cost ~60 µs per request on the path gateways poll
 * thousands of times a second (bench/results/latest.md).
 */
@Injectable()
export class EffectiveFastPath implements OnModuleInit, BeforeApplicationShutdown {
  private answered = 0;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly catalog: CatalogCache,
    private readonly access: AccessRegistry,
  ) {}

  onModuleInit(): void {
    this.frontDoor().answerEarly((request, reply) => this.answer(request, reply));
  }

  /** From here on every request goes through Nest, whose shutdown hook answers 503. */
  beforeApplicationShutdown(): void {
    this.frontDoor().answerEarly(undefined);
  }

  private frontDoor() {
    return this.adapterHost.httpAdapter.getInstance<FastifyInstance>().frontDoor;
  }

  /** True when it answered; false to let the request go on to the controller. */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.method !== 'GET' || request.routeOptions.url !== EFFECTIVE_ROUTE) return false;
    // Streams (`Accept: text/event-stream`) and long polls (`Prefer: wait`) are held by
    // the watch module behind the controller; two header lookups keep the plain hit cheap.
    if (request.headers.prefer !== undefined) return false;
    const accept = request.headers.accept;
    if (accept !== undefined && accept.includes('text/event-stream')) return false;
    const grant = this.access.identify(request.headers.authorization);
    if (!grant) return false;
    const { slug } = request.params as { slug?: string };
    const query = request.query as Record<string, unknown>;
    const env = query.env;
    if (typeof slug !== 'string' || !SLUG_PATTERN.test(slug)) return false;
    if (typeof env !== 'string' || !ENV_PATTERN.test(env)) return false;
    for (const name in query) if (name !== 'env') return false;
    const document = this.catalog.effectiveFromMemory(slug, env, audienceOf(grant));
    if (!document) return false;
    sendDocument(reply, document);
    this.answered++;
    return true;
  }

  /** Requests answered here, without reaching the controller. */
  answeredCount(): number {
    return this.answered;
  }
}
