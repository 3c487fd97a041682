import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { TOPICS } from '#messaging/messaging.constants';
import type { TopicNames } from '#messaging/topics';
import { SIGNATURE_HEADER, signatureOf } from '#messaging/envelope-signature';
import { ChangeRequestRepository } from '#persistence/change-request.repository';
import { applyEventIdOf } from '#persistence/derived-ids';
import type { OutboxMessage } from '#persistence/projection.repository';
import { changeRequestAppliedEnvelope } from '#domain/change-request.events';
import type { ChangeRequest } from '#domain/change-request.model';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { LOGGER } from '../worker.constants.js';

/** How often a worker looks for requests whose `applyAt` has come. */
const POLL_MS = 1000;
/** Requests queued per pass. */
const PASS_LIMIT = 50;
/** The actor of the apply events the scheduler publishes. */
export const SCHEDULER_ACTOR = 'warden-scheduler';

/**
 * Applies scheduled change requests at their `applyAt`, once: each pass takes the due
 * requests with `FOR UPDATE SKIP LOCKED` (so two workers never take the same one) and
 * writes their apply event to the outbox in the same transaction that marks them
 * queued. The event's id is derived from the request's, so whatever publishes it again
 * (the relay after a crash, an explicit apply) publishes one event, applied once.
 */
@Injectable()
export class ChangeRequestScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;

  constructor(
    private readonly requests: ChangeRequestRepository,
    private readonly relay: OutboxRelay,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass().finally(() => (this.running = undefined));
    }, POLL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    try {
      const queued = await this.requests.queueDue(new Date(), PASS_LIMIT, (request) =>
        this.applyMessage(request),
      );
      this.failing = false;
      if (queued.length === 0) return;
      this.log.info({ changeRequests: queued.map((r) => r.id) }, 'scheduled change requests due');
      this.relay.nudge();
    } catch (error) {
      // PostgreSQL away: the requests stay due for the next pass.
      if (!this.failing) this.log.warn({ err: String(error) }, 'change request scheduler failed');
      this.failing = true;
    }
  }

  private applyMessage(request: ChangeRequest): OutboxMessage {
    const envelope = changeRequestAppliedEnvelope(request, {
      id: applyEventIdOf(request.id),
      actor: SCHEDULER_ACTOR,
      occurredAt: new Date().toISOString(),
    });
    const value = JSON.stringify(envelope);
    return {
      topic: this.topics.Events,
      key: envelope.aggregate,
      value,
      headers: { [SIGNATURE_HEADER]: signatureOf(value, this.config.signingKey) },
    };
  }
}
