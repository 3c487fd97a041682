import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { HttpMetrics } from '#observability/http-metrics';

/** Answers a request in full and says so, or says false to let it go on to Nest. */
export type EarlyAnswer = (request: FastifyRequest, reply: FastifyReply) => boolean;

declare module 'fastify' {
  interface FastifyInstance {
    frontDoor: FrontDoor;
  }
  interface FastifyRequest {
    /** performance.now() when the request reached the first hook. */
    receivedAt: number;
  }
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/**
 * The first hooks of the API's Fastify instance, added before Nest's adapter adds its own
 * (the shutdown 503, CORS and security hooks, routability) and middie: together those
 * cost about a sixth of a hot read's CPU time, which the effective view answered from
 * memory does not need. Here each request gets its id and its `x-request-id` header, is
 * timed for the request metrics, and may be answered at once by the early answer that
 * the read model installs (and removes before shutdown, so that Nest's 503 applies again).
 */
export class FrontDoor {
  private early: EarlyAnswer | undefined;
  private readonly metrics: HttpMetrics;
  // A random prefix per process and a counter: unique across instances without the cost
  // of a UUID per request (a client's own `x-request-id` is kept as given).
  private readonly idPrefix = randomBytes(6).toString('hex');
  private issued = 0;

  constructor(registry: Registry) {
    this.metrics = new HttpMetrics(registry);
  }

  /** Fastify's `genReqId`. */
  readonly requestId = (request: { headers: Record<string, string | string[] | undefined> }) => {
    const given = request.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given)
      ? given
      : `${this.idPrefix}-${(++this.issued).toString(36)}`;
  };

  install(fastify: FastifyInstance): void {
    fastify.decorate<FrontDoor>('frontDoor', this as FrontDoor);
    fastify.decorateRequest('receivedAt', 0);
    fastify.addHook('onRequest', (request, reply, done) => {
      request.receivedAt = performance.now();
      void reply.header('x-request-id', request.id);
      if (this.early === undefined || !this.early(request, reply)) done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.metrics.record(
        request.method,
        request.routeOptions.url,
        reply.statusCode,
        performance.now() - request.receivedAt,
      );
      done();
    });
  }

  answerEarly(answer: EarlyAnswer | undefined): void {
    this.early = answer;
  }
}
