import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { EVENT_PUBLISHER, TOPICS } from '#messaging/messaging.constants';
import { BrokerUnavailableError, type EventPublisher } from '#messaging/event-publisher';
import { DeadLetterHeaders, type TopicNames } from '#messaging/topics';
import { SIGNATURE_HEADER, signatureOf } from '#messaging/envelope-signature';
import type { WardenConfig } from '#config/warden-config';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { OutgoingEnvelope } from './event-gateway.service.js';
import { LOGGER } from '#observability/observability.constants';
import { ProblemException } from '../http/problem.js';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';

/** How long a stopping API waits for the writes it is publishing. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Appends a signed envelope to `governance.events`. The promise settles only after
 * Kafka acknowledged it (`acks=all`; concurrent writes share one `sendBatch` and each
 * is answered only when the batch holding it is acknowledged).
 */
@Injectable()
export class EventAppender implements BeforeApplicationShutdown {
  private closing = false;
  private readonly publishing = new Set<Promise<unknown>>();

  constructor(
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
  ) {}

  /**
   * SIGTERM: new writes are refused (503, so clients retry elsewhere), and the writes
   * being published get their acknowledgement before the producer disconnects.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const deadline = new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS).unref());
    await Promise.race([Promise.allSettled([...this.publishing]), deadline]);
  }

  /** Throws the `503` of a stopping instance, before any work is done for a write. */
  refuseWhenClosing(): void {
    if (!this.closing) return;
    throw new ProblemException(
      503,
      'This API instance is shutting down; the write was not accepted. Retry.',
      { headers: { 'retry-after': '1' } },
    );
  }

  /** Resolves once Kafka has the event; a broker that is away is a `503` with `Retry-After`. */
  async append(envelope: OutgoingEnvelope, requestId: string): Promise<void> {
    this.refuseWhenClosing();
    const value = JSON.stringify(envelope);
    const acceptedAt = Date.now();
    const published = this.publisher.publish({
      topic: this.topics.Events,
      key: envelope.aggregate,
      value,
      // The worker trusts the actor of a signed envelope: it is this token's name.
      headers: {
        [DeadLetterHeaders.RequestId]: requestId,
        [SIGNATURE_HEADER]: signatureOf(value, this.config.signingKey),
      },
    });
    this.publishing.add(published);
    try {
      await published;
    } catch (error) {
      if (error instanceof BrokerUnavailableError) {
        this.log.warn({ requestId, err: error.message }, 'write refused: Kafka unavailable');
        throw new ProblemException(
          503,
          'The event log is unavailable; the write was not accepted. Retry later.',
          { headers: { 'retry-after': '5' } },
        );
      }
      throw error;
    } finally {
      this.publishing.delete(published);
    }
    this.metrics.writeStages.observe('appended', acceptedAt, Date.now());
  }
}
