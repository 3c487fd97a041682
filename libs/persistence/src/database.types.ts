import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface AggregatesTable {
  aggregate: string;
  revision: ColumnType<number, number, number>;
  /** A number no earlier row had (migration 008): a rebuilt row is told from the old one. */
  incarnation: Generated<number>;
}

export interface ServicesTable {
  slug: string;
  name: string;
  owner: string;
  tier: number;
  lifecycle: string;
  tags: string[];
  links: Json;
  description: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PoliciesTable {
  slug: string;
  type: string;
  env: string;
  enabled: boolean;
  spec: Json;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DefaultPoliciesTable {
  type: string;
  enabled: boolean;
  spec: Json;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConfigEntriesTable {
  slug: string;
  env: string;
  key: string;
  value: Json;
  description: string | null;
  secret: Generated<boolean>;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConfigHistoryTable {
  slug: string;
  env: string;
  key: string;
  version: number;
  value: Json;
  description: string | null;
  secret: Generated<boolean>;
  event_id: string;
  change: string;
  created_at: Timestamp;
}

export interface ProcessedEventsTable {
  id: string;
  aggregate: string;
  type: string;
  status: string;
  code: string | null;
  reason: string | null;
  version: number | null;
  processed_at: Timestamp;
}

export interface AuditLogTable {
  seq: Generated<string>;
  event_id: string;
  type: string;
  aggregate: string;
  actor: string;
  reason: string | null;
  version: number | null;
  before: Json | null;
  after: Json | null;
  occurred_at: Timestamp;
  applied_at: Timestamp;
  source: string;
  actor_verified: boolean;
  change_request_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Names of the protection rules a change from outside the API matched (JSON array). */
  bypassed_rules: ColumnType<string[] | null, string | null | undefined, string | null>;
}

export interface ProtectionRulesTable {
  name: string;
  match: ColumnType<{ tiers?: number[]; envs?: string[]; services?: string[] }, string, string>;
  approvals: number;
  updated_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface DeadLettersTable {
  id: Generated<string>;
  event_id: string | null;
  reason: string;
  original_partition: number;
  original_offset: string;
  payload: Buffer | null;
  key: string | null;
  created_at: Timestamp;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  redriven_at: Timestamp | null;
  redrive_count: ColumnType<number, number | undefined, number>;
}

export interface OutboxMessagesTable {
  seq: Generated<string>;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: ColumnType<Record<string, string>, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ReplaysTable {
  id: string;
  requested_from: Timestamp;
  consumer_group: string;
  status: string;
  events: ColumnType<number, number | undefined, number>;
  checksum_before: string | null;
  checksum_after: string | null;
  error: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ChangeRequestsTable {
  id: string;
  seq: Generated<string>;
  title: string;
  reason: string;
  status: string;
  required_approvals: number;
  approvals: Json;
  changes: string;
  services: string[];
  author: string;
  closed_by: Json | null;
  failure_reason: string | null;
  apply_at: Timestamp | null;
  apply_queued_at: Timestamp | null;
  apply_event_id: string | null;
  applied_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WardenDatabase {
  change_requests: ChangeRequestsTable;
  aggregates: AggregatesTable;
  services: ServicesTable;
  policies: PoliciesTable;
  default_policies: DefaultPoliciesTable;
  config_entries: ConfigEntriesTable;
  config_history: ConfigHistoryTable;
  processed_events: ProcessedEventsTable;
  audit_log: AuditLogTable;
  dead_letters: DeadLettersTable;
  outbox_messages: OutboxMessagesTable;
  replays: ReplaysTable;
  protection_rules: ProtectionRulesTable;
}
