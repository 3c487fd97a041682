import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { EventLogServer } from '#messaging/event-log.server';
import { Spacing } from '#messaging/spacing';
import { EVENT_PUBLISHER } from '#messaging/messaging.constants';
import type { EventPublisher } from '#messaging/event-publisher';
import type { OutboxRepository, PendingOutboxMessage } from '#persistence/outbox.repository';
import { LOGGER, OUTBOX } from '../worker.constants.js';

/** Messages relayed per transaction; one `sendBatch` of the publisher each. */
const RELAY_BATCH = 500;
/** A relay with nothing to do looks again this often (rows of a crashed peer, a failure). */
const POLL_MS = 500;
/**
 * Passes start at least this far apart. A pass is three round trips (the statement that
 * takes the messages, with `BEGIN`; the publish; `COMMIT`), and at a few hundred runs a
 * second a pass per run was most of the worker's round trips; the first pass after a
 * quiet spell still starts at once.
 */
const SPACING_MS = 25;

/**
 * Publishes the outbox (the change feed and the dead-letter topic) to Kafka with
 * `acks=all`. It runs as soon as a batch is committed and announced, and on a timer, so
 * messages left by a crash or by a broker that was away go out once Kafka answers again.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private spacingTimer?: NodeJS.Timeout;
  private readonly passes = new Spacing(SPACING_MS);
  private running?: Promise<void>;
  private again = false;
  private failing = false;
  private stopped = false;

  constructor(
    @Inject(OUTBOX) private readonly outbox: OutboxRepository,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly transport: EventLogServer,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  /**
   * Runs after the transport closed (Nest closes it before any shutdown hook), so the
   * last batch's messages are in the outbox; the pool closes only after this.
   */
  async beforeApplicationShutdown(): Promise<void> {
    // Nest closes the transport before any hook; waiting for its end here as well keeps
    // the last runs' messages ahead of the last pass whatever the order.
    await this.transport.closed();
    await this.stop();
    if (this.failing) this.log.warn('outbox not flushed; it goes out with the next worker');
    else this.log.info('outbox flushed');
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.nudge(), POLL_MS);
    this.timer.unref();
  }

  /**
   * A batch committed: relay its change feed now, or as soon as the spacing allows. The
   * batches that commit while a pass runs or waits are gathered by the next pass.
   */
  soon(): void {
    this.nudge();
  }

  /** Asks for a relay pass; passes never overlap, a nudge during one queues another. */
  nudge(): void {
    if (this.stopped || this.spacingTimer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.passes.wait();
    if (wait > 0) {
      this.spacingTimer = setTimeout(() => {
        this.spacingTimer = undefined;
        this.nudge();
      }, wait);
      this.spacingTimer.unref();
      return;
    }
    this.passes.started();
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.nudge();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const relayed = await this.outbox.relay(RELAY_BATCH, (messages) => this.publish(messages));
        if (relayed === null || relayed < RELAY_BATCH) break;
      }
      if (this.failing) this.log.info('outbox relay publishing again');
      this.failing = false;
    } catch (error) {
      // Kafka or PostgreSQL away: the messages stay in the outbox for the next pass.
      if (!this.failing) this.log.warn({ err: String(error) }, 'outbox relay failed; will retry');
      this.failing = true;
    }
  }

  private async publish(messages: PendingOutboxMessage[]): Promise<void> {
    await Promise.all(
      messages.map((m) =>
        this.publisher.publish({
          topic: m.topic,
          key: m.key ?? '',
          value: m.value,
          headers: m.headers,
        }),
      ),
    );
  }

  /** Stops the timer and makes one last pass so that a clean stop leaves nothing owed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.spacingTimer);
    this.spacingTimer = undefined;
    await this.running;
    await this.drain();
  }
}
