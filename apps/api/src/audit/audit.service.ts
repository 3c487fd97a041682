import { Injectable } from '@nestjs/common';
import { EventLogRepository, type AuditEntry } from '#persistence/event-log.repository';
import type { AuditQueryDto } from './audit-query.dto.js';
import { validationFailed } from '../http/validation.js';
import { decodeBeforeCursor, encodeBeforeCursor } from '../http/paging.js';

export type AuditView = Omit<AuditEntry, 'seq'>;

export interface AuditPage {
  items: AuditView[];
  nextCursor: string | null;
}

const DEFAULT_LIMIT = 50;

/** The applied changes, newest first, paged by an opaque cursor over the log's sequence. */
@Injectable()
export class AuditService {
  constructor(private readonly eventLog: EventLogRepository) {}

  async page(query: AuditQueryDto): Promise<AuditPage> {
    const since = query.since !== undefined ? new Date(query.since) : undefined;
    const until = query.until !== undefined ? new Date(query.until) : undefined;
    if (since && until && since >= until) {
      throw validationFailed([{ field: 'until', message: 'until must be later than since' }]);
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = await this.eventLog.audit({
      aggregate: query.aggregate,
      actor: query.actor,
      type: query.type,
      changeRequestId: query.changeRequestId,
      since,
      until,
      before: query.cursor !== undefined ? decodeAuditCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeAuditCursor(page[page.length - 1].seq) : null;
    return { items: page.map(({ seq: _seq, ...entry }) => entry), nextCursor };
  }
}

/** Cursors are opaque to clients: base64url of the last sequence number of the page. */
export const encodeAuditCursor = encodeBeforeCursor;
export const decodeAuditCursor = decodeBeforeCursor;
