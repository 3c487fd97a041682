import type { Insertable, Selectable, Transaction } from 'kysely';
import type { ChangeRequestsTable, WardenDatabase } from './database.types.js';
import { unnestRows, type BulkColumn } from './bulk-rows.js';
import { stmt, type Statement } from './statement.js';
import type {
  ChangeRequest,
  ChangeRequestStatus,
  ProposedChange,
  ReviewNote,
} from '#domain/change-request.model';
import { servicesTouched } from '#domain/change-request.model';

const iso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString();

export function toChangeRequest(row: Selectable<ChangeRequestsTable>): ChangeRequest {
  const request: ChangeRequest = {
    id: row.id,
    title: row.title,
    reason: row.reason,
    status: row.status as ChangeRequestStatus,
    requiredApprovals: row.required_approvals,
    approvals: row.approvals as ReviewNote[],
    changes: JSON.parse(row.changes) as ProposedChange[],
    author: row.author,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.apply_at !== null) request.applyAt = iso(row.apply_at);
  if (row.closed_by !== null) request.closedBy = row.closed_by as ReviewNote;
  if (row.failure_reason !== null) request.failureReason = row.failure_reason;
  if (row.apply_event_id !== null) request.applyEventId = row.apply_event_id;
  if (row.applied_at !== null) request.appliedAt = iso(row.applied_at);
  return request;
}

export function toChangeRequestRow(request: ChangeRequest): Insertable<ChangeRequestsTable> {
  return {
    id: request.id,
    title: request.title,
    reason: request.reason,
    status: request.status,
    required_approvals: request.requiredApprovals,
    approvals: JSON.stringify(request.approvals),
    changes: JSON.stringify(request.changes),
    services: servicesTouched(request.changes),
    author: request.author,
    closed_by: request.closedBy ? JSON.stringify(request.closedBy) : null,
    failure_reason: request.failureReason ?? null,
    apply_at: request.applyAt ?? null,
    apply_event_id: request.applyEventId ?? null,
    applied_at: request.appliedAt ?? null,
    created_at: request.createdAt,
    updated_at: request.updatedAt,
  };
}

/** The requests' rows, locked until the transaction ends. */
export async function lockChangeRequests(
  trx: Transaction<WardenDatabase>,
  ids: readonly string[],
): Promise<Map<string, ChangeRequest>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('change_requests')
    .selectAll()
    .where('id', 'in', [...new Set(ids)].sort())
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((row) => [row.id, toChangeRequest(row)]));
}

const SETTLED_REQUEST_COLUMNS: BulkColumn<ChangeRequest>[] = [
  ['id', 'uuid', (r) => r.id],
  ['status', 'text', (r) => r.status],
  ['failure_reason', 'text', (r) => r.failureReason ?? null],
  ['apply_event_id', 'uuid', (r) => r.applyEventId ?? null],
  ['applied_at', 'timestamptz', (r) => r.appliedAt ?? null],
  ['updated_at', 'timestamptz', (r) => r.updatedAt],
];

/** The statement that records settled requests, to run with a batch's other writes. */
export function settledRequestsWrite(requests: readonly ChangeRequest[]): Statement {
  return stmt`
    UPDATE change_requests AS c
    SET status = v.status, failure_reason = v.failure_reason, apply_event_id = v.apply_event_id,
        applied_at = v.applied_at, updated_at = v.updated_at
    FROM (${unnestRows(requests, SETTLED_REQUEST_COLUMNS)}) AS v
    WHERE c.id = v.id`;
}
