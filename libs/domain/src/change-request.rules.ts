import {
  TERMINAL_STATUSES,
  type ChangeRequest,
  type ChangeRequestStatus,
  type ReviewNote,
} from './change-request.model.js';

/** Who acts on a request: a token's name, and whether it is an admin's. */
export interface Reviewer {
  actor: string;
  admin: boolean;
}

/**
 * Why a verb is refused: `forbidden` (403) when this principal may never do it,
 * `conflict` (409) when the request is not in a state that allows it.
 */
export type ReviewRefusal = { ok: false; code: 'forbidden' | 'conflict'; message: string };

export type ReviewDecision =
  | {
      ok: true;
      request: ChangeRequest;
      /** False when the verb had no effect (the same principal approving again). */
      changed: boolean;
    }
  | ReviewRefusal;

export type ReviewVerb = 'approve' | 'reject' | 'cancel' | 'apply';

export function isTerminal(status: ChangeRequestStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

function refuse(code: ReviewRefusal['code'], message: string): ReviewRefusal {
  return { ok: false, code, message };
}

function closed(request: ChangeRequest, what: string): ReviewRefusal | undefined {
  if (!isTerminal(request.status)) return undefined;
  return refuse('conflict', `Change request ${request.id} is ${request.status}: it cannot ${what}`);
}

function note(by: Reviewer, at: string, comment?: string): ReviewNote {
  return comment ? { actor: by.actor, comment, at } : { actor: by.actor, at };
}

/**
 * An approval from a principal other than the author. Approving twice is no second
 * approval; the request is `approved` once it has as many as it requires.
 */
export function approve(
  request: ChangeRequest,
  by: Reviewer,
  at: string,
  comment?: string,
): ReviewDecision {
  const refusal = closed(request, 'be approved');
  if (refusal) return refusal;
  if (by.actor === request.author)
    return refuse(
      'forbidden',
      `${by.actor} wrote change request ${request.id} and cannot approve it`,
    );
  if (request.approvals.some((a) => a.actor === by.actor))
    return { ok: true, request, changed: false };
  const approvals = [...request.approvals, note(by, at, comment)];
  const status = approvals.length >= request.requiredApprovals ? 'approved' : 'pending';
  return { ok: true, request: { ...request, approvals, status, updatedAt: at }, changed: true };
}

/** A reviewer other than the author turns the request down. */
export function reject(
  request: ChangeRequest,
  by: Reviewer,
  at: string,
  comment?: string,
): ReviewDecision {
  const refusal = closed(request, 'be rejected');
  if (refusal) return refusal;
  if (by.actor === request.author)
    return refuse(
      'forbidden',
      `${by.actor} wrote change request ${request.id}: an author cancels their request instead of rejecting it`,
    );
  return close(request, 'rejected', note(by, at, comment));
}

/** The author, or an admin, withdraws the request. */
export function cancel(
  request: ChangeRequest,
  by: Reviewer,
  at: string,
  comment?: string,
): ReviewDecision {
  const refusal = closed(request, 'be cancelled');
  if (refusal) return refusal;
  if (by.actor !== request.author && !by.admin)
    return refuse(
      'forbidden',
      `Only the author (${request.author}) or an admin may cancel change request ${request.id}`,
    );
  return close(request, 'cancelled', note(by, at, comment));
}

function close(
  request: ChangeRequest,
  status: 'rejected' | 'cancelled',
  by: ReviewNote,
): ReviewDecision {
  return {
    ok: true,
    request: { ...request, status, closedBy: by, updatedAt: by.at },
    changed: true,
  };
}

/**
 * Whether the request may be applied now. A scheduled request may be applied before
 * its `applyAt` by an explicit apply: the schedule is when the worker applies it on its
 * own, not a lock. Applying changes nothing yet: the worker settles the request.
 */
export function mayApply(request: ChangeRequest): ReviewDecision {
  const refusal = closed(request, 'be applied');
  if (refusal) return refusal;
  if (request.status !== 'approved') {
    return refuse(
      'conflict',
      `Change request ${request.id} has ${request.approvals.length} of ${request.requiredApprovals} approvals: it cannot be applied before it is approved`,
    );
  }
  return { ok: true, request, changed: false };
}

/** Whether the scheduler should apply the request now. */
export function isDue(request: ChangeRequest, now: string): boolean {
  return (
    request.status === 'approved' &&
    request.applyAt !== undefined &&
    Date.parse(request.applyAt) <= Date.parse(now)
  );
}

/** What the worker concludes from the request's state before it applies a `change-request.applied`. */
export type ApplicationCheck =
  { ok: true } | { ok: false; code: 'not-found' | 'conflict'; reason: string };

export function checkApplication(request: ChangeRequest | undefined, id: string): ApplicationCheck {
  if (!request)
    return { ok: false, code: 'not-found', reason: `change request ${id} does not exist` };
  if (request.status !== 'approved') {
    return {
      ok: false,
      code: 'conflict',
      reason: `change request ${id} is ${request.status}, not approved: nothing was applied`,
    };
  }
  return { ok: true };
}

/** The request once the worker applied its changes, or failed to (nothing of it applied). */
export function settleApplication(
  request: ChangeRequest,
  eventId: string,
  at: string,
  failure?: string,
): ChangeRequest {
  const settled: ChangeRequest = { ...request, applyEventId: eventId, updatedAt: at };
  return failure === undefined
    ? { ...settled, status: 'applied', appliedAt: at }
    : { ...settled, status: 'failed', failureReason: failure };
}
