import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import type { TokenGrant } from '#config/warden-config';
import { etagMatches } from '#domain/etag';

/** Who writes: the token's name for the audit and its grant for the scope check. */
export function writerOf(request: AuthenticatedRequest): { actor: string; grant: TokenGrant } {
  // The guard has run: a route without a grant would be a public write, which none is.
  const grant = request.grant ?? { role: 'reader', actor: 'unknown', scopes: [] };
  return { actor: grant.actor, grant };
}

/** The request id travels into the event's Kafka headers and the worker's logs. */
export function requestIdOf(request: AuthenticatedRequest): string {
  return String(request.id);
}

/** A JSON document as it is sent: its text, its ETag, and whether PostgreSQL could confirm it. */
export interface SentDocument {
  json: string;
  etag: string;
  stale: boolean;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const STALE_WARNING = '110 warden "Response is stale"';

/**
 * Sends a cached JSON document as is (no re-serialisation), honouring If-None-Match,
 * and says so when PostgreSQL could not confirm that it is current.
 */
export function sendDocument(
  reply: FastifyReply,
  document: SentDocument,
  contentType = JSON_CONTENT_TYPE,
): void {
  // The same ETag may carry a secret masked or opened, depending on the token.
  void reply
    .header('etag', document.etag)
    .header('cache-control', 'no-cache')
    .header('vary', 'authorization');
  if (document.stale) void reply.header('warning', STALE_WARNING).header('x-warden-stale', 'true');
  if (etagMatches(reply.request.headers['if-none-match'], document.etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.type(contentType).send(document.json);
}

/**
 * `sendDocument` without Fastify, for the front door's early answer: the same status and
 * headers (with the request id that Fastify's hook would add), written in one call.
 */
export function writeDocument(
  response: ServerResponse,
  document: SentDocument,
  requestId: string,
): 200 | 304 {
  const headers = [
    'x-request-id',
    requestId,
    'etag',
    document.etag,
    'cache-control',
    'no-cache',
    'vary',
    'authorization',
  ];
  if (document.stale) headers.push('warning', STALE_WARNING, 'x-warden-stale', 'true');
  if (etagMatches(response.req.headers['if-none-match'], document.etag)) {
    response.writeHead(304, headers).end();
    return 304;
  }
  headers.push(
    'content-type',
    JSON_CONTENT_TYPE,
    'content-length',
    String(Buffer.byteLength(document.json)),
  );
  response.writeHead(200, headers).end(document.json);
  return 200;
}
