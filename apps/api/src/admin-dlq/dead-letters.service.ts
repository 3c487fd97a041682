import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { EVENT_PUBLISHER, TOPICS } from '#messaging/messaging.constants';
import { BrokerUnavailableError, type EventPublisher } from '#messaging/event-publisher';
import { DeadLetterHeaders, type TopicNames } from '#messaging/topics';
import { DeadLetterRepository, type DeadLetterRecord } from '#persistence/dead-letter.repository';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { LOGGER } from '#observability/observability.constants';
import type { DeadLetterView } from './dead-letters.dto.js';
import { AdminTargets } from '#domain/admin-action.model';
import { AdminAuditService, type AdminRequest } from '../admin-audit/admin-audit.service.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Marks a message sent back from the dead letters, for whoever reads the log. */
const REDRIVEN_FROM = 'x-redriven-from';

/** Lists dead letters, sends one back to `governance.events`, or drops it. */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly letters: DeadLetterRepository,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AdminAuditService,
  ) {}

  async page(
    limit: number,
    cursor?: string,
  ): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await this.letters.list({ limit: limit + 1, before });
    const items = rows.slice(0, limit).map(toView);
    const next = rows.length > limit ? encodeCursor(rows[limit - 1].id) : null;
    return { items, nextCursor: next };
  }

  /** Publishes the original bytes again (acks=all) and marks the letter redriven. */
  async redrive(id: number, by: AdminRequest): Promise<DeadLetterView> {
    try {
      const redriven = await this.letters.redrive(id, async (letter) => {
        await this.publisher.publish({
          topic: this.topics.Events,
          key: letter.key ?? '',
          value: letter.payload ?? Buffer.alloc(0),
          headers: { ...letter.headers, [REDRIVEN_FROM]: String(letter.id) },
        });
      });
      if (!redriven) throw new ProblemException(404, `No dead letter ${id}`);
      this.log.info(
        {
          deadLetterId: id,
          eventId: redriven.eventId,
          requestId: redriven.headers[DeadLetterHeaders.RequestId],
        },
        'dead letter redriven',
      );
      await this.audit.record({
        type: 'admin.dlq.redrive',
        target: AdminTargets.deadLetter(id),
        ...by,
        before: summary(redriven),
        after: { redriveCount: redriven.redriveCount },
      });
      return toView(redriven);
    } catch (error) {
      if (error instanceof BrokerUnavailableError) {
        throw new ProblemException(
          503,
          'The event log is unavailable; the dead letter was not sent back. Retry later.',
          {
            headers: { 'retry-after': '5' },
          },
        );
      }
      throw error;
    }
  }

  async remove(id: number, by: AdminRequest): Promise<void> {
    const dropped = await this.letters.delete(id);
    if (!dropped) throw new ProblemException(404, `No dead letter ${id}`);
    this.log.info({ deadLetterId: id }, 'dead letter deleted');
    await this.audit.record({
      type: 'admin.dlq.drop',
      target: AdminTargets.deadLetter(id),
      ...by,
      before: summary(dropped),
    });
  }
}

/** What the audit shows of a letter: where it came from and why it was set aside. */
function summary(letter: DeadLetterRecord) {
  return {
    ...(letter.eventId ? { eventId: letter.eventId } : {}),
    reason: letter.reason,
    key: letter.key,
    originalPartition: letter.originalPartition,
    originalOffset: letter.originalOffset,
  };
}

function toView(letter: DeadLetterRecord): DeadLetterView {
  let payload: string | null = null;
  let payloadEncoding: DeadLetterView['payloadEncoding'] = 'utf8';
  if (letter.payload) {
    try {
      payload = utf8.decode(letter.payload);
    } catch {
      payload = letter.payload.toString('base64');
      payloadEncoding = 'base64';
    }
  }
  const requestId = letter.headers[DeadLetterHeaders.RequestId];
  return {
    id: String(letter.id),
    ...(letter.eventId ? { eventId: letter.eventId } : {}),
    reason: letter.reason,
    originalPartition: letter.originalPartition,
    originalOffset: letter.originalOffset,
    key: letter.key,
    ...(requestId ? { requestId } : {}),
    payload,
    payloadEncoding,
    createdAt: letter.createdAt,
    ...(letter.redrivenAt ? { redrivenAt: letter.redrivenAt } : {}),
    redriveCount: letter.redriveCount,
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(`dlq:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^dlq:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw validationFailed([{ field: 'cursor', message: 'cursor is not one this API handed out' }]);
  return Number(match[1]);
}
