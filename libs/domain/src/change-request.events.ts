import {
  CHANGE_REQUEST_APPLIED,
  changeRequestAggregate,
  type ChangeRequest,
  type ChangeRequestAppliedData,
} from './change-request.model.js';
import { SCHEMA_VERSION } from './event.model.js';
import {
  aggregateOfData,
  type ChangeRequestAppliedEvent,
  type DomainEvent,
} from './event-validation.js';

/**
 * The events a `change-request.applied` stands for, one per change, in order: each as
 * its author would have written it directly, with the id `idOf(index)` (a function of
 * the applying event's id, so that a re-delivery derives the same ids) and the
 * receipt of the applying event.
 */
export function changeEventsOf(
  event: ChangeRequestAppliedEvent,
  idOf: (index: number) => string,
): DomainEvent[] {
  const { source, actorVerified, receivedAt } = event;
  return event.data.changes.map(
    (change, index) =>
      ({
        id: idOf(index),
        type: change.type,
        aggregate: aggregateOfData(change.type, change.data),
        actor: event.data.author,
        occurredAt: event.occurredAt,
        schemaVersion: event.schemaVersion,
        ...(change.expectedVersion !== undefined
          ? { expectedVersion: change.expectedVersion }
          : {}),
        data: change.data,
        ...(source !== undefined ? { source } : {}),
        ...(actorVerified !== undefined ? { actorVerified } : {}),
        ...(receivedAt !== undefined ? { receivedAt } : {}),
      }) as unknown as DomainEvent,
  );
}

/** The envelope that applies `request`, whoever publishes it (an explicit apply, the scheduler). */
export function changeRequestAppliedEnvelope(
  request: ChangeRequest,
  envelope: { id: string; actor: string; occurredAt: string },
) {
  const data: ChangeRequestAppliedData = {
    changeRequestId: request.id,
    author: request.author,
    reason: request.reason,
    changes: request.changes,
  };
  return {
    id: envelope.id,
    type: CHANGE_REQUEST_APPLIED as typeof CHANGE_REQUEST_APPLIED,
    aggregate: changeRequestAggregate(request.id),
    actor: envelope.actor,
    occurredAt: envelope.occurredAt,
    schemaVersion: SCHEMA_VERSION as typeof SCHEMA_VERSION,
    data,
  };
}
