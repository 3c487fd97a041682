import type { Transaction } from 'kysely';
import type { WardenDatabase } from './database.types.js';
import { changeEventIdOf } from './derived-ids.js';
import { lockChangeRequests } from './change-request.rows.js';
import type { ChangeRequest } from '#domain/change-request.model';
import { checkApplication, settleApplication } from '#domain/change-request.rules';
import { changeEventsOf } from '#domain/change-request.events';
import type { ChangeRequestAppliedEvent, DomainEvent, LoggedEvent } from '#domain/event-validation';
import type { Rejection, RejectionCode } from '#domain/rejection';

export function isApplication(event: LoggedEvent): event is ChangeRequestAppliedEvent {
  return event.type === 'change-request.applied';
}

/** The events a logged event stands for: itself, or each change of a change request. */
export function eventsOf(event: LoggedEvent): DomainEvent[] {
  return isApplication(event)
    ? changeEventsOf(event, (index) => changeEventIdOf(event.id, index))
    : [event];
}

export type ApplicationVerdict = { ok: true } | { ok: false; code: RejectionCode; reason: string };

/**
 * The change requests a batch applies, locked for its transaction: the API's reviews
 * of the same rows wait, so a request cancelled meanwhile is either cancelled before
 * (and then not applied) or applied before (and then no longer cancellable).
 */
export class ApplicationLedger {
  private readonly settled = new Map<string, ChangeRequest>();

  private constructor(
    private readonly requests: Map<string, ChangeRequest>,
    private readonly replay: boolean,
  ) {}

  static async lock(
    trx: Transaction<WardenDatabase>,
    applications: ChangeRequestAppliedEvent[],
    replay: boolean,
  ): Promise<ApplicationLedger> {
    const ids = applications.map((e) => e.data.changeRequestId);
    return new ApplicationLedger(await lockChangeRequests(trx, ids), replay);
  }

  /**
   * Whether the request may be applied now. A replay applies again what this very event
   * applied (or failed) the first time, whatever the request's state has become.
   */
  check(event: ChangeRequestAppliedEvent): ApplicationVerdict {
    const id = event.data.changeRequestId;
    const request = this.settled.get(id) ?? this.requests.get(id);
    if (this.replay && request?.applyEventId === event.id) return { ok: true };
    const check = checkApplication(request, id);
    return check.ok ? check : { ok: false, code: check.code, reason: check.reason };
  }

  /** The request applied, or failed because its change `index` was refused. */
  settle(
    event: ChangeRequestAppliedEvent,
    at: string,
    failure?: { index: number; rejection: Rejection },
  ): string | undefined {
    const id = event.data.changeRequestId;
    const request = this.settled.get(id) ?? this.requests.get(id);
    const reason = failure && failureReason(event, failure.index, failure.rejection);
    if (request && !this.replay)
      this.settled.set(id, settleApplication(request, event.id, at, reason));
    return reason;
  }

  /** The requests this batch settled, to be written with its other rows. */
  settledRequests(): ChangeRequest[] {
    return [...this.settled.values()];
  }
}

function failureReason(event: ChangeRequestAppliedEvent, index: number, rejection: Rejection) {
  const change = event.data.changes[index];
  const target =
    change.type === 'default-policy.set'
      ? `the default ${String(change.data.type)}`
      : `service ${String(change.data.slug)}`;
  return `change ${index} (${change.type} of ${target}) was refused, so none was applied: ${rejection.message}`;
}
