import type { FastifyReply } from 'fastify';
import type { SubmittedWrite } from './event-gateway.service.js';
import { ProblemException } from '../http/problem.js';

export interface LoadedResource {
  body: unknown;
  etag: string;
  location?: string;
}

export interface WriteAnswer {
  /** 201 when the applied change created the resource (always, or when it made version 1), else 200. */
  creates?: 'always' | 'first-version';
  /** Reads the resource from the record after the change was applied; without it, a `204`. */
  load?: () => Promise<LoadedResource | undefined>;
}

const REJECTION_STATUS = { conflict: 409, 'not-found': 404, rule: 422 } as const;

/**
 * Answers a write: `202` once Kafka has it, or with `Prefer: wait` the outcome itself
 * (`200`/`201`/`204`, or `409`/`404`/`422` for a rejection); `202` if still pending.
 */
export async function answerWrite(
  reply: FastifyReply,
  submitted: SubmittedWrite,
  waitSeconds: number | undefined,
  answer: WriteAnswer,
): Promise<unknown> {
  if (waitSeconds !== undefined) void reply.header('preference-applied', `wait=${waitSeconds}`);
  const { outcome, eventId } = submitted;
  if (!outcome) {
    void reply.status(202).header('location', `/v1/events/${eventId}`);
    return { eventId, status: 'accepted' };
  }
  if (outcome.status === 'rejected' || outcome.status === 'dead-lettered') {
    const status = outcome.code ? REJECTION_STATUS[outcome.code] : 422;
    const problem = new ProblemException(
      status,
      outcome.reason ?? `The event was ${outcome.status}`,
    );
    problem.problem.eventId = eventId;
    throw problem;
  }
  void reply.header('x-event-id', eventId);
  if (!answer.load) {
    void reply.status(204);
    return undefined;
  }
  const resource = await answer.load();
  if (!resource) {
    // Applied, then changed again before we read it back (e.g. deleted meanwhile).
    void reply.status(202).header('location', `/v1/events/${eventId}`);
    return { eventId, status: 'applied' };
  }
  const created =
    answer.creates === 'always' || (answer.creates === 'first-version' && outcome.version === 1);
  void reply.status(created ? 201 : 200).header('etag', resource.etag);
  if (resource.location) void reply.header('location', resource.location);
  return resource.body;
}
