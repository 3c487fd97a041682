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

/**
 * Sends a cached JSON document as is (no re-serialisation), honouring If-None-Match,
 * and says so when PostgreSQL could not confirm that it is current.
 */
export function sendDocument(
  reply: FastifyReply,
  document: { json: string; etag: string; stale: boolean },
  contentType = 'application/json; charset=utf-8',
): void {
  // The same ETag may carry a secret masked or opened, depending on the token.
  void reply
    .header('etag', document.etag)
    .header('cache-control', 'no-cache')
    .header('vary', 'authorization');
  if (document.stale)
    void reply.header('warning', '110 warden "Response is stale"').header('x-warden-stale', 'true');
  if (etagMatches(reply.request.headers['if-none-match'], document.etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.type(contentType).send(document.json);
}
