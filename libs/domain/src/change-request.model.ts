import type { EventType } from './event.model.js';

export const CHANGE_REQUEST_STATUSES = [
  'pending',
  'approved',
  'applied',
  'rejected',
  'cancelled',
  'failed',
] as const;
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

/** States that no verb leaves. */
export const TERMINAL_STATUSES: readonly ChangeRequestStatus[] = [
  'applied',
  'rejected',
  'cancelled',
  'failed',
];

/** The event that applies an approved change request, all of its changes or none. */
export const CHANGE_REQUEST_APPLIED = 'change-request.applied';

/** Its Kafka key and ordering unit. */
export function changeRequestAggregate(id: string): string {
  return `change-request:${id}`;
}

/** One change of a request: the type and data of an event of section 4, as the event would carry them. */
export interface ProposedChange {
  type: EventType;
  data: Record<string, unknown>;
  expectedVersion?: number;
}

/** Who said what, when: an approval, or the rejection or cancellation that closed the request. */
export interface ReviewNote {
  actor: string;
  comment?: string;
  at: string;
}

export interface ChangeRequest {
  id: string;
  title: string;
  reason: string;
  status: ChangeRequestStatus;
  requiredApprovals: number;
  approvals: ReviewNote[];
  changes: ProposedChange[];
  author: string;
  createdAt: string;
  updatedAt: string;
  /** When the worker applies it on its own, once approved. */
  applyAt?: string;
  /** Who rejected or cancelled it. */
  closedBy?: ReviewNote;
  /** Why applying it failed (status `failed`): the first change the rules refused. */
  failureReason?: string;
  /** The `change-request.applied` event that applied (or failed) it. */
  applyEventId?: string;
  appliedAt?: string;
}

/** The data of a `change-request.applied` event: everything the worker needs, in the log itself. */
export interface ChangeRequestAppliedData {
  changeRequestId: string;
  /** The request's author: the actor of each change it applies. */
  author: string;
  /** The request's reason: the audit's reason of a change that carries none of its own. */
  reason: string;
  changes: ProposedChange[];
}

/** The slugs of the services a set of changes touches, in first-mention order. */
export function servicesTouched(changes: readonly ProposedChange[]): string[] {
  const slugs = new Set<string>();
  for (const change of changes) {
    if (change.type !== 'default-policy.set' && typeof change.data.slug === 'string')
      slugs.add(change.data.slug);
  }
  return [...slugs];
}
