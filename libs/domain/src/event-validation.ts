import { validatePlain, type FieldError } from './validation.js';
import { EVENT_DATA, EventEnvelopeDto, type EventDataByType } from './event.dto.js';
import { POLICY_SPECS } from './policy.dto.js';
import { isPolicyType } from './policy.model.js';
import {
  EVENT_TYPES,
  isUuid,
  defaultsAggregate,
  serviceAggregate,
  type EventEnvelope,
  type EventType,
  type SCHEMA_VERSION,
} from './event.model.js';
import {
  CHANGE_REQUEST_APPLIED,
  changeRequestAggregate,
  type ChangeRequestAppliedData,
} from './change-request.model.js';
import { ChangeRequestAppliedEnvelopeDto } from './change-request.dto.js';

/** A validated envelope, discriminated by `type` so handlers switch exhaustively. */
export type DomainEvent = {
  [T in EventType]: EventEnvelope<EventDataByType[T]> & { type: T } & EventReceipt;
}[EventType];

/** What the worker learnt receiving an event, beyond what its producer claims. */
export interface EventReceipt {
  /** `api` when the API signed it; `kafka` for any other producer. */
  source?: 'api' | 'kafka';
  /** The actor is a token's name (true) or only what the producer claims (false). */
  actorVerified?: boolean;
  /** The worker's clock when it read the event: the resources' timestamps. */
  receivedAt?: string;
}

export type EventParse =
  | { ok: true; event: DomainEvent }
  | { ok: false; reason: string; eventId?: string; errors: FieldError[] };

/**
 * Validates an event's data as the HTTP edge validates the matching request: the
 * type's data class, then the policy spec against its type's spec class.
 */
export function validateEventData(type: EventType, data: unknown): FieldError[] {
  const result = validatePlain(EVENT_DATA[type] as new () => object, data);
  if (!result.ok) return result.errors;
  if (type === 'policy.set' || type === 'default-policy.set') {
    const value = result.value as { type: string; spec: unknown };
    if (!isPolicyType(value.type)) return [{ field: 'type', message: 'unknown policy type' }];
    const spec = validatePlain(POLICY_SPECS[value.type], value.spec);
    if (!spec.ok) return spec.errors.map((e) => ({ ...e, field: `spec.${e.field}` }));
  }
  return [];
}

/** The aggregate an event's data belongs to: it is the Kafka key and the ordering unit. */
export function aggregateOfData(type: EventType, data: { slug?: string; type?: string }): string {
  return type === 'default-policy.set'
    ? defaultsAggregate(String(data.type))
    : serviceAggregate(String(data.slug));
}

/**
 * Turns raw bytes from Kafka into a domain event, or says why they are not one. With the
 * message's key, an event keyed other than by its aggregate is refused too: it would be
 * ordered on a partition that its aggregate's other events are not on.
 */
export function parseEnvelope(raw: Buffer | string | null, key?: string | null): EventParse {
  if (raw === null) return { ok: false, reason: 'empty message', errors: [] };
  let plain: unknown;
  try {
    plain = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}`, errors: [] };
  }
  const eventId =
    plain && typeof plain === 'object' && typeof (plain as { id?: unknown }).id === 'string'
      ? (plain as { id: string }).id
      : undefined;
  const envelope = validatePlain(EventEnvelopeDto, plain);
  if (!envelope.ok) return invalid(eventId, envelope.errors);
  const { type, data, aggregate } = envelope.value;
  const dataErrors = validateEventData(type, data).map((e) => ({
    ...e,
    field: e.field ? `data.${e.field}` : 'data',
  }));
  if (dataErrors.length > 0) return invalid(eventId, dataErrors);
  const expected = aggregateOfData(type, data);
  if (aggregate !== expected) {
    return invalid(eventId, [
      { field: 'aggregate', message: `aggregate must be ${expected} for this data` },
    ]);
  }
  if (key !== undefined && key !== aggregate) {
    return invalid(eventId, [
      {
        field: 'key',
        message: `Kafka key ${JSON.stringify(key)} is not the aggregate ${aggregate}`,
      },
    ]);
  }
  // Keep the validated plain data, not the class instance: handlers store it as JSON.
  return { ok: true, event: { ...envelope.value, data } as unknown as DomainEvent };
}

function invalid(eventId: string | undefined, errors: FieldError[]): EventParse {
  const reason =
    'invalid envelope: ' +
    errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
  return { ok: false, reason, eventId, errors };
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * An envelope the API signed: the API built it itself from a write that it had checked
 * with these very rules (`validateEventData`), so only its frame is checked again here
 * (a known type, keyed by the aggregate of its data) and the class-based validation,
 * the largest part of the worker's CPU per event, is not run a second time. Whatever
 * fails the frame check, and every change request, is read by `parseLoggedEnvelope`.
 */
export function parseSignedEnvelope(raw: Buffer | null, key?: string | null): LoggedEventParse {
  const plain = jsonObjectOf(raw);
  const data = plain?.data;
  const framed =
    plain !== undefined &&
    isUuid(plain.id) &&
    typeof plain.type === 'string' &&
    KNOWN_TYPES.has(plain.type) &&
    typeof plain.actor === 'string' &&
    typeof plain.occurredAt === 'string' &&
    plain.schemaVersion === 1 &&
    (plain.expectedVersion === undefined || Number.isInteger(plain.expectedVersion)) &&
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    plain.aggregate === aggregateOfData(plain.type as EventType, data) &&
    (key === undefined || key === plain.aggregate);
  if (!framed) return parseLoggedEnvelope(raw, key);
  return { ok: true, event: plain as unknown as DomainEvent };
}

function jsonObjectOf(
  raw: Buffer | null,
): Partial<Record<keyof EventEnvelope, unknown>> | undefined {
  try {
    const plain: unknown = raw === null ? null : JSON.parse(raw.toString('utf8'));
    return plain !== null && typeof plain === 'object' ? plain : undefined;
  } catch {
    return undefined;
  }
}

/** The event that applies a change request: many changes, all or none. */
export type ChangeRequestAppliedEvent = Omit<EventEnvelope<ChangeRequestAppliedData>, 'type'> & {
  type: typeof CHANGE_REQUEST_APPLIED;
} & EventReceipt;

/** Anything `governance.events` carries that the worker applies. */
export type LoggedEvent = DomainEvent | ChangeRequestAppliedEvent;

export type LoggedEventParse =
  | { ok: true; event: LoggedEvent }
  | { ok: false; reason: string; eventId?: string; errors: FieldError[] };

/**
 * Checks each change of a change request as the worker checks an event of its type,
 * naming the change: `changes[2].data.spec.burst`.
 */
export function validateChanges(
  changes: readonly { type: EventType; data: unknown }[],
  prefix = 'changes',
): FieldError[] {
  return changes.flatMap((change, index) =>
    validateEventData(change.type, change.data).map((e) => ({
      ...e,
      field: e.field ? `${prefix}[${index}].data.${e.field}` : `${prefix}[${index}].data`,
    })),
  );
}

/** `parseEnvelope`, and the `change-request.applied` envelope besides the events of section 4. */
export function parseLoggedEnvelope(
  raw: Buffer | string | null,
  key?: string | null,
): LoggedEventParse {
  if (raw === null) return parseEnvelope(raw, key);
  let plain: unknown;
  try {
    plain = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return parseEnvelope(raw, key);
  }
  if ((plain as { type?: unknown } | null)?.type !== CHANGE_REQUEST_APPLIED)
    return parseEnvelope(raw, key);
  const eventId =
    typeof (plain as { id?: unknown }).id === 'string' ? (plain as { id: string }).id : undefined;
  const envelope = validatePlain(ChangeRequestAppliedEnvelopeDto, plain);
  if (!envelope.ok) return invalid(eventId, envelope.errors);
  const original = plain as ChangeRequestAppliedEvent;
  const errors = validateChanges(original.data.changes, 'data.changes');
  if (errors.length > 0) return invalid(eventId, errors);
  const expected = changeRequestAggregate(original.data.changeRequestId);
  if (envelope.value.aggregate !== expected)
    return invalid(eventId, [{ field: 'aggregate', message: `aggregate must be ${expected}` }]);
  if (key !== undefined && key !== expected) {
    return invalid(eventId, [
      {
        field: 'key',
        message: `Kafka key ${JSON.stringify(key)} is not the aggregate ${expected}`,
      },
    ]);
  }
  // The changes' data as sent: they are stored as JSON, exactly.
  const { id, type, aggregate, actor, occurredAt, schemaVersion } = envelope.value;
  const { changeRequestId, author, reason, changes } = original.data;
  return {
    ok: true,
    event: {
      id,
      type,
      aggregate,
      actor,
      occurredAt,
      schemaVersion: schemaVersion as typeof SCHEMA_VERSION,
      data: {
        changeRequestId,
        author,
        reason,
        changes: changes.map(({ type, data, expectedVersion }) =>
          expectedVersion === undefined ? { type, data } : { type, data, expectedVersion },
        ),
      },
    },
  };
}
