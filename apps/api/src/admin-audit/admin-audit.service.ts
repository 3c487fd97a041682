import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AdminActionType } from '#domain/admin-action.model';
import { EventLogRepository, type AuditEntry } from '#persistence/event-log.repository';
import { LOGGER } from '#observability/observability.constants';

/** Who asks for an admin action, and why. */
export interface AdminRequest {
  /** The token's name (`@Actor()`), or `system` for what the API does on its own. */
  actor: string;
  reason?: string;
}

/** One admin action for the audit: who did what to which target, and why. */
export interface AdminAction extends AdminRequest {
  type: AdminActionType;
  /** Built with `AdminTargets` (`dead-letter:42`, `cache:all`, …): the entry's `aggregate`. */
  target: string;
  /** What the target was before the action, when there is something to show. */
  before?: unknown;
  /** What the action did or started (counts, ids), shown as the entry's `after`. */
  after?: unknown;
}

/**
 * Keeps every admin action in the append-only audit (`GET /v1/audit`, types `admin.*`).
 * Record after the action succeeded; a failed action leaves no entry. The API writes
 * these itself: they are not changes of governance state and go through no event.
 */
@Injectable()
export class AdminAuditService {
  constructor(
    private readonly eventLog: EventLogRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async record(action: AdminAction): Promise<AuditEntry> {
    const entry = await this.eventLog.recordAdminAction(action);
    this.log.info(
      { auditId: entry.eventId, type: action.type, target: action.target, actor: action.actor },
      'admin action audited',
    );
    return entry;
  }
}
