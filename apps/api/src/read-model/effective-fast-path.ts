import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN } from '#domain/policy.model';
import { CatalogCache, type CachedDocument } from './catalog-cache.service.js';
import { AccessRegistry } from '../auth/access-registry.js';
import { audienceOf } from '../auth/secret-readers.js';

/** The route of `EffectiveViewController`, as Fastify matches it and the metrics label it. */
const EFFECTIVE_ROUTE = '/v1/services/:slug/effective';
const PATH_START = '/v1/services/';
const PATH_END = '/effective?env=';

/**
 * Answers `GET /v1/services/{slug}/effective` from memory before Fastify and Nest, when —
 * and only when — the answer is certain: a known token (every role may read), a valid
 * slug, `env` as the only and valid query parameter, and the composed view in L1.
 * Anything else goes on to `EffectiveViewController`, which is the full implementation
 * (misses, errors, problem documents); this lane only skips the routing, hooks, guard,
 * pipes and validation machinery that a hit does not need, on the path gateways poll
 * thousands of times a second (docs/performance.md).
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
    this.frontDoor().answerEarly({
      route: EFFECTIVE_ROUTE,
      find: (request) => this.find(request),
    });
  }

  /** From here on every request goes through Nest, whose shutdown hook answers 503. */
  beforeApplicationShutdown(): void {
    this.frontDoor().answerEarly(undefined);
  }

  private frontDoor() {
    return this.adapterHost.httpAdapter.getInstance<FastifyInstance>().frontDoor;
  }

  /** The document to answer with, or undefined to let the request go on to the controller. */
  find(request: IncomingMessage): CachedDocument | undefined {
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(PATH_START)) {
      return undefined;
    }
    // The path and query as sent, taken apart only as far as needed: a slug and an
    // environment that match their patterns hold nothing that percent-decoding would
    // change, and an environment cannot hold `&`, so any other parameter fails the pattern.
    const slugEnd = url.indexOf('/', PATH_START.length);
    if (slugEnd < 0 || !url.startsWith(PATH_END, slugEnd)) return undefined;
    const slug = url.slice(PATH_START.length, slugEnd);
    const env = url.slice(slugEnd + PATH_END.length);
    if (!SLUG_PATTERN.test(slug) || !ENV_PATTERN.test(env)) return undefined;
    // Streams (`Accept: text/event-stream`) and long polls (`Prefer: wait`) are held by
    // the watch module behind the controller; two header lookups keep the plain hit cheap.
    const headers = request.headers;
    if (headers.prefer !== undefined) return undefined;
    const accept = headers.accept;
    if (accept !== undefined && accept.includes('text/event-stream')) return undefined;
    const grant = this.access.identify(headers.authorization);
    if (!grant) return undefined;
    const document = this.catalog.effectiveFromMemory(slug, env, audienceOf(grant));
    if (document) this.answered++;
    return document;
  }

  /** Requests answered here, without reaching the controller. */
  answeredCount(): number {
    return this.answered;
  }
}
