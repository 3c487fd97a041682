import type { BulkColumn } from './bulk-rows.js';
import type { DeadLetter, OutboxMessage } from './projection.types.js';

// The rows a batch writes beside the state: claims and outcomes of its events, the
// audit, dead letters and the outbox.

const json = (value: unknown) => JSON.stringify(value ?? null);

export interface Claim {
  id: string;
  aggregate: string;
  type: string;
  status: string;
  reason: string | null;
  processed_at: Date;
  version?: number | null;
  code?: string | null;
}

export const DEAD_LETTER_COLUMNS: BulkColumn<{ letter: DeadLetter; at: Date }>[] = [
  ['event_id', 'uuid', ({ letter }) => letter.eventId ?? null],
  ['reason', 'text', ({ letter }) => letter.reason],
  ['original_partition', 'integer', ({ letter }) => letter.partition],
  ['original_offset', 'text', ({ letter }) => letter.offset],
  ['key', 'text', ({ letter }) => letter.key],
  ['payload', 'bytea', ({ letter }) => letter.payload],
  ['headers', 'jsonb', ({ letter }) => json(letter.headers)],
  ['created_at', 'timestamptz', ({ at }) => at],
];

export const CLAIM_COLUMNS: BulkColumn<Claim>[] = [
  ['id', 'uuid', (c) => c.id],
  ['aggregate', 'text', (c) => c.aggregate],
  ['type', 'text', (c) => c.type],
  ['status', 'text', (c) => c.status],
  ['reason', 'text', (c) => c.reason],
  ['processed_at', 'timestamptz', (c) => c.processed_at],
];

/** A change that a change request applied, recorded as an event already applied. */
export const SUB_EVENT_COLUMNS: BulkColumn<Claim>[] = [
  ...CLAIM_COLUMNS,
  ['version', 'integer', (c) => c.version ?? null],
];

export interface Settled {
  id: string;
  status: string;
  code: string | null;
  reason: string | null;
  version: number | null;
}

export const SETTLED_COLUMNS: BulkColumn<Settled>[] = [
  ['id', 'uuid', (s) => s.id],
  ['status', 'text', (s) => s.status],
  ['code', 'text', (s) => s.code],
  ['reason', 'text', (s) => s.reason],
  ['version', 'integer', (s) => s.version],
];

export interface AuditRow {
  event_id: string;
  type: string;
  aggregate: string;
  actor: string;
  reason: string | null;
  version: number | null;
  before: string | null;
  after: string | null;
  occurred_at: string;
  applied_at: Date;
  source: string;
  actor_verified: boolean;
  change_request_id: string | null;
  /** JSON array of rule names, or null. */
  bypassed_rules: string | null;
}

export const AUDIT_COLUMNS: BulkColumn<AuditRow>[] = [
  ['event_id', 'uuid', (a) => a.event_id],
  ['type', 'text', (a) => a.type],
  ['aggregate', 'text', (a) => a.aggregate],
  ['actor', 'text', (a) => a.actor],
  ['reason', 'text', (a) => a.reason],
  ['version', 'integer', (a) => a.version],
  ['before', 'jsonb', (a) => a.before],
  ['after', 'jsonb', (a) => a.after],
  ['occurred_at', 'timestamptz', (a) => a.occurred_at],
  ['applied_at', 'timestamptz', (a) => a.applied_at],
  ['source', 'text', (a) => a.source],
  ['actor_verified', 'boolean', (a) => a.actor_verified],
  ['change_request_id', 'uuid', (a) => a.change_request_id],
  ['bypassed_rules', 'jsonb', (a) => a.bypassed_rules],
];

export const OUTBOX_COLUMNS: BulkColumn<OutboxMessage>[] = [
  ['topic', 'text', (m) => m.topic],
  ['key', 'text', (m) => m.key],
  ['value', 'bytea', (m) => (typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : m.value)],
  ['headers', 'jsonb', (m) => json(m.headers ?? {})],
];
