import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { expectedVersion, preferredWait } from '../http/preferences.js';
import type { TokenGrant } from '#config/warden-config';
import { requestIdOf, writerOf } from '../http/request-context.js';
import { WRITE_CREATES } from './event-write.decorator.js';
import type { WriteAnswer } from './write-responder.js';

const reflector = new Reflector();
/** Each handler's `@EventWrite({ creates })`, read once: metadata lookups cost every write. */
const createsOf = new WeakMap<object, WriteAnswer['creates'] | null>();

function creates(handler: object): WriteAnswer['creates'] {
  let found = createsOf.get(handler);
  if (found === undefined) {
    found = reflector.get<WriteAnswer['creates']>(WRITE_CREATES, handler as never) ?? null;
    createsOf.set(handler, found);
  }
  return found ?? undefined;
}

/** What a write handler needs besides its body and path: who writes, and how to answer. */
export interface WriteContext {
  actor: string;
  /** The writer's token: the write must lie within its teams and environments. */
  grant: TokenGrant;
  requestId: string;
  /** `Prefer: wait=N`: answer with the outcome, waiting up to N seconds. */
  waitSeconds?: number;
  /** `If-Match`: the version the write expects (a malformed value is a 400). */
  expectedVersion?: number;
  /** The reply the answer's status and headers are set on; its body is the handler's return. */
  reply: FastifyReply;
  /** When an applied write answers `201`: the handler's `@EventWrite({ creates })`. */
  creates?: WriteAnswer['creates'];
}

/**
 * `@Write() write: WriteContext`: the write context of the request, read once from the
 * token's grant, the headers and the handler's `@EventWrite`.
 */
export const Write = createParamDecorator(
  (_data: unknown, context: ExecutionContext): WriteContext => {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const { actor, grant } = writerOf(request);
    // Named members, not a spread of the writer: after a spread each further member took
    // V8's slow path of defining a property (3 % of the API's CPU per write).
    return {
      actor,
      grant,
      requestId: requestIdOf(request),
      waitSeconds: preferredWait(request.headers.prefer),
      expectedVersion: expectedVersion(request.headers['if-match']),
      reply: http.getResponse<FastifyReply>(),
      creates: creates(context.getHandler()),
    };
  },
);

/** Who writes, for a handler that needs neither `Prefer` nor `If-Match` (a review). */
export const Writer = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ReturnType<typeof writerOf> =>
    writerOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
