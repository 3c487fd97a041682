import { TestEnvironment } from '../../../test/support/test-environment.js';
import { OutboxRepository, type PendingOutboxMessage } from './outbox.repository.js';

describe('OutboxRepository.relay', () => {
  let env: TestEnvironment;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    env = await TestEnvironment.create('outbox_relay');
    outbox = new OutboxRepository(env.db);
  });

  afterAll(async () => {
    await env?.dispose();
  });

  beforeEach(async () => {
    await env.db.deleteFrom('outbox_messages').execute();
  });

  const write = (count: number, from = 0) =>
    env.db
      .insertInto('outbox_messages')
      .values(
        Array.from({ length: count }, (_, i) => ({
          topic: 'governance.changes',
          key: `service:svc-${from + i}`,
          value: Buffer.from(JSON.stringify({ n: from + i })),
          headers: JSON.stringify({ 'warden-n': String(from + i) }),
        })),
      )
      .execute();

  const numbers = (messages: PendingOutboxMessage[]) =>
    messages.map((m) => (JSON.parse(m.value.toString('utf8')) as { n: number }).n);

  it('hands over the oldest messages in order, as written, and removes them', async () => {
    await write(5);
    const published: PendingOutboxMessage[] = [];

    expect(await outbox.relay(3, async (m) => void published.push(...m))).toBe(3);
    expect(await outbox.relay(3, async (m) => void published.push(...m))).toBe(2);
    expect(await outbox.relay(3, async (m) => void published.push(...m))).toBe(0);

    expect(numbers(published)).toEqual([0, 1, 2, 3, 4]);
    expect(published[4]).toEqual({
      topic: 'governance.changes',
      key: 'service:svc-4',
      value: Buffer.from('{"n":4}'),
      headers: { 'warden-n': '4' },
    });
    expect(await outbox.pending()).toBe(0);
  });

  it('keeps the messages of a publish that failed for the next pass', async () => {
    await write(2);

    await expect(outbox.relay(10, () => Promise.reject(new Error('broker away')))).rejects.toThrow(
      'broker away',
    );
    expect(await outbox.pending()).toBe(2);

    const published: PendingOutboxMessage[] = [];
    expect(await outbox.relay(10, async (m) => void published.push(...m))).toBe(2);
    expect(numbers(published)).toEqual([0, 1]);
  });

  it('lets one relay at a time take messages, and never hands one over twice', async () => {
    await write(40);
    const published: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first relay holds the lock while it publishes; the second finds it busy.
    const first = outbox.relay(10, async (m) => {
      published.push(...numbers(m));
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await outbox.relay(10, async (m) => void published.push(...numbers(m)))).toBeNull();
    release();
    expect(await first).toBe(10);

    const passes = await Promise.all(
      Array.from({ length: 6 }, () =>
        outbox.relay(10, async (m) => void published.push(...numbers(m))),
      ),
    );
    for (;;) {
      const relayed = await outbox.relay(10, async (m) => void published.push(...numbers(m)));
      if (relayed === 0) break;
    }
    expect(passes.some((n) => n !== null && n > 0)).toBe(true);
    expect([...published].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
