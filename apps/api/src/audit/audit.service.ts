import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import type { TokenGrant } from '#config/warden-config';
import { shownResource } from '#domain/secret-value';
import { openerFor } from '../auth/secret-readers.js';
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

/**
 * The applied changes, newest first, paged by an opaque cursor over the log's sequence.
 * A secret's value in `before`/`after` is opened only for a reader with the `secrets` scope.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly eventLog: EventLogRepository,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async page(query: AuditQueryDto, reader?: TokenGrant): Promise<AuditPage> {
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
    const open = openerFor(reader, this.cipher);
    const items = page.map(({ seq: _seq, ...entry }) => ({
      ...entry,
      before: shownResource(entry.before, open),
      after: shownResource(entry.after, open),
    }));
    return { items, nextCursor };
  }
}

/** Cursors are opaque to clients: base64url of the last sequence number of the page. */
export const encodeAuditCursor = encodeBeforeCursor;
export const decodeAuditCursor = decodeBeforeCursor;
