import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { EventOutcomeMessage } from '#caching/outcome-bus';
import { EventLogRepository } from '#persistence/event-log.repository';
import { OutcomeListener } from '../outcomes/outcome-listener.service.js';

export type ExpectedOutcome = ReturnType<OutcomeListener['expect']>;

/**
 * `Prefer: wait`: the worker's outcome of an event, by announcement or, should that be
 * lost (Redis away), by polling PostgreSQL once a second.
 */
@Injectable()
export class OutcomeWaiter implements BeforeApplicationShutdown {
  private stopping = false;
  private stopWaiting!: () => void;
  private readonly stopped = new Promise<undefined>(
    (resolve) => (this.stopWaiting = () => resolve(undefined)),
  );

  constructor(
    private readonly outcomes: OutcomeListener,
    private readonly eventLog: EventLogRepository,
  ) {}

  /** SIGTERM: writers waiting for an outcome are answered `202` at once: their write is accepted. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopWaiting();
  }

  /** Call before publishing, so that an announcement that comes quickly is not missed. */
  expect(eventId: string): ExpectedOutcome {
    return this.outcomes.expect(eventId);
  }

  /** The outcome, or undefined when `timeoutMs` passed or the instance is stopping. */
  async waitFor(
    eventId: string,
    expected: ExpectedOutcome,
    timeoutMs: number,
  ): Promise<EventOutcomeMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    let settled: EventOutcomeMessage | undefined;
    void expected.outcome.then((m) => (settled = m));
    while (!settled && !this.stopping && Date.now() < deadline) {
      const slice = Math.min(1000, deadline - Date.now());
      const announced = await Promise.race([
        expected.outcome,
        this.stopped,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), slice)),
      ]);
      if (announced) return announced;
      const recorded = await this.eventLog.outcome(eventId).catch(() => undefined);
      if (recorded) {
        const message: EventOutcomeMessage = { ...recorded, at: Date.now() };
        this.outcomes.dispatch(message);
        return message;
      }
    }
    expected.cancel();
    return settled;
  }
}
