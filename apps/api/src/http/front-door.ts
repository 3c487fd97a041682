import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { HttpMetrics } from '#observability/http-metrics';
import { sendDocument, writeDocument, type SentDocument } from './request-context.js';

/**
 * A route whose answer may be found without Fastify: `find` looks at the raw request and
 * gives the document to send, or undefined to let the request go on to Fastify and Nest.
 */
export interface EarlyAnswer {
  /** The route's pattern, as the request metrics label it. */
  route: string;
  find(request: IncomingMessage): SentDocument | undefined;
}

/** Runs before any answer (the rate limit): true lets the request in, false means it answered. */
export type Gate = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

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
 * Where every request comes in. The early answer (the effective view from memory) is
 * tried in the server's own request listener, before Fastify: a hit then costs no
 * routing, no request and reply objects, no hooks — about as much of a hot read's CPU as
 * Warden's own work on it (docs/performance.md). It is timed, counted in the request
 * metrics and given its `x-request-id` here like any other request.
 *
 * Everything else goes to Fastify, whose first hooks are these (added before the ones
 * Nest's adapter adds in its constructor): the request id header and the timing, then the
 * gate (the rate limit, which a gated instance must pass before any answer, the early one
 * included: with a gate the early answer is tried here, after it, not in the listener).
 */
export class FrontDoor {
  private early: EarlyAnswer | undefined;
  private gate: Gate | undefined;
  private readonly metrics: HttpMetrics;
  // A random prefix per process and a counter: unique across instances without the cost
  // of a UUID per request (a client's own `x-request-id` is kept as given).
  private readonly idPrefix = randomBytes(6).toString('hex');
  private issued = 0;

  constructor(registry: Registry) {
    this.metrics = new HttpMetrics(registry);
  }

  /** Fastify's `genReqId`, and the id of an early answer. */
  readonly requestId = (request: { headers: Record<string, string | string[] | undefined> }) => {
    const given = request.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given)
      ? given
      : `${this.idPrefix}-${(++this.issued).toString(36)}`;
  };

  /**
   * Fastify's `serverFactory`: the HTTP server Fastify would make (the same options and
   * timeouts, set as Fastify sets them), with the early answer in front of Fastify's handler.
   */
  readonly serverFactory = (
    handler: (request: IncomingMessage, response: ServerResponse) => void,
    options: FastifyServerOptions & { http?: ServerOptions | null },
  ): Server => {
    const server = createServer(options.http ?? {}, (request, response) => {
      const early = this.gate === undefined ? this.early : undefined;
      if (early !== undefined) {
        const receivedAt = performance.now();
        const document = early.find(request);
        if (document !== undefined) {
          const status = writeDocument(response, document, this.requestId(request));
          this.metrics.record('GET', early.route, status, performance.now() - receivedAt);
          return;
        }
      }
      handler(request, response);
    });
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout ?? 0);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };

  install(fastify: FastifyInstance): void {
    fastify.decorate<FrontDoor>('frontDoor', this as FrontDoor);
    fastify.decorateRequest('receivedAt', 0);
    fastify.addHook('onRequest', (request, reply, done) => {
      request.receivedAt = performance.now();
      void reply.header('x-request-id', request.id);
      const gate = this.gate;
      if (gate === undefined) return done();
      gate(request, reply).then(
        (admitted) => {
          if (!admitted) return;
          const document = this.early?.find(request.raw);
          if (document === undefined) done();
          else sendDocument(reply, document);
        },
        (error: Error) => done(error),
      );
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

  /** Installs the early answer; undefined removes it (before shutdown, so that Nest's 503 applies). */
  answerEarly(answer: EarlyAnswer | undefined): void {
    this.early = answer;
  }

  /** Installs the gate every request passes before any answer. */
  gateWith(gate: Gate): void {
    this.gate = gate;
  }
}
