import { jest } from '@jest/globals';
import type { Logger } from 'pino';
import type { EventPublisher } from '#messaging/event-publisher';
import type { EventLogServer } from '#messaging/event-log.server';
import type { OutboxRepository, PendingOutboxMessage } from '#persistence/outbox.repository';
import { OutboxRelay } from './outbox-relay.js';

/** An outbox that records when each pass ran and what it published. */
function anOutbox(pending: PendingOutboxMessage[][] = []) {
  const passes: number[] = [];
  const outbox = {
    relay: async (_limit: number, publish: (m: PendingOutboxMessage[]) => Promise<void>) => {
      passes.push(Date.now());
      const messages = pending.shift() ?? [];
      if (messages.length > 0) await publish(messages);
      return messages.length;
    },
  } as unknown as OutboxRepository;
  return { outbox, passes };
}

const aMessage = (n: number): PendingOutboxMessage => ({
  topic: 'changes',
  key: `service:${n}`,
  value: Buffer.from(`{"n":${n}}`),
  headers: {},
});

describe('OutboxRelay', () => {
  const published: string[] = [];
  const publisher = {
    publish: async (m: { key: string }) => void published.push(m.key),
  } as unknown as EventPublisher;
  const log = { info: () => undefined, warn: () => undefined } as unknown as Logger;
  const transport = { closed: async () => undefined } as unknown as EventLogServer;
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  beforeEach(() => {
    published.length = 0;
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => jest.useRealTimers());

  it('relays the first batch at once and gathers those that commit soon after into one pass', async () => {
    const { outbox, passes } = anOutbox([[aMessage(1)], [aMessage(2), aMessage(3)]]);
    const relay = new OutboxRelay(outbox, publisher, log, transport);
    relay.soon();
    await settle();
    expect(passes).toEqual([1_000_000]);
    expect(published).toEqual(['service:1']);

    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(4);
      relay.soon();
      await settle();
    }
    expect(passes).toHaveLength(1);
    jest.advanceTimersByTime(5);
    await settle();
    expect(passes).toEqual([1_000_000, 1_000_025]);
    expect(published).toEqual(['service:1', 'service:2', 'service:3']);
    await relay.stop();
  });

  it('makes a last pass at once when it stops, whatever the spacing', async () => {
    const { outbox, passes } = anOutbox([[], [aMessage(7)]]);
    const relay = new OutboxRelay(outbox, publisher, log, transport);
    relay.soon();
    await settle();
    relay.soon();
    await relay.stop();
    expect(passes).toEqual([1_000_000, 1_000_000]);
    expect(published).toEqual(['service:7']);
    jest.advanceTimersByTime(1000);
    await settle();
    expect(passes).toHaveLength(2);
  });
});
