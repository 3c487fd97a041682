import type { DomainEvent, LoggedEvent } from '#domain/event-validation';
import type { Rejection } from '#domain/rejection';
import type { GovernanceLimits } from '#domain/governance-limits';
import type { AggregateDocument } from './projection-working-set.js';

/** What applying one event changed: enough to refresh caches and answer a waiting writer. */
export interface AppliedChange {
  eventId: string;
  type: DomainEvent['type'];
  aggregate: string;
  /** The aggregate's revision after this change (orders cache writes). */
  revision: number;
  /** The changed resource's own version; absent for a delete. */
  version?: number;
  before: unknown;
  after: unknown;
  appliedAt: string;
}

export type ApplyOutcome =
  | { status: 'applied'; change: AppliedChange }
  /** A change request's changes, all applied (in its order). */
  | { status: 'applied-all'; changes: AppliedChange[] }
  | { status: 'rejected'; code: Rejection['code']; reason: string }
  | { status: 'duplicate' };

/** A Kafka message that leaves with the transaction that produced it (see the outbox relay). */
export interface OutboxMessage {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/** A message of the log that could not be applied, and why. */
export interface DeadLetter {
  eventId?: string;
  reason: string;
  partition: number;
  offset: string;
  key: string | null;
  payload: Buffer | null;
  headers: Record<string, string>;
  /** Its copy for the dead-letter topic. */
  outbox?: OutboxMessage;
}

export interface ProjectionBatch {
  /** Valid events in log order (per aggregate, the order that matters). */
  events: LoggedEvent[];
  /** Messages of the same stretch of log that are not events. */
  deadLetters?: DeadLetter[];
  /** The change-feed message of an applied change, written to the outbox. */
  feed?: (event: DomainEvent, change: AppliedChange) => OutboxMessage;
  /**
   * A replay rebuilds state only: dead letters and feed messages went out the first
   * time, so neither is recorded again, and the audit keeps its entries (only an event
   * it lacks gets one).
   */
  replay?: boolean;
  /** The caps the rules apply (WARDEN_MAX_*); the domain's defaults when absent. */
  limits?: GovernanceLimits;
}

export interface BatchResult {
  /** One per event of the batch, in its order. */
  outcomes: ApplyOutcome[];
  /** The state after the batch of every aggregate it changed. */
  documents: AggregateDocument[];
  /** For each duplicate, what the first delivery recorded (to announce it again). */
  earlier: Map<string, EarlierOutcome>;
}

export interface EarlierOutcome {
  status: 'applied' | 'rejected' | 'dead-lettered';
  code?: Rejection['code'];
  reason?: string;
  version?: number;
}
