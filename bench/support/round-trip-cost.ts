/** What one loopback round trip costs this machine: the unit that a write's path is made of. */
import net from 'node:net';
import { round } from './load.js';

export interface RoundTripCost {
  /** CPU (user + system) per round trip, both ends in this process, one right after another. */
  backToBackMicros: number;
  /** The same, one round trip every PACE_MS: each starts from an idle event loop. */
  fromIdleMicros: number;
  /** Of `fromIdleMicros`, the kernel's part (system time). */
  fromIdleSystemMicros: number;
}

const BACK_TO_BACK = 5000;
const FROM_IDLE = 500;
const PACE_MS = 2;

/**
 * An echo server and a client in this process, one byte each way. Back to back, the
 * loop never sleeps; paced, every round trip wakes it from `epoll_wait` twice, as a
 * write at a modest rate wakes each process on its path. The difference is what a
 * wake-up costs here (on a virtual machine it includes the hypervisor's part).
 */
export async function measureRoundTripCost(): Promise<RoundTripCost> {
  const server = net.createServer((socket) => socket.on('data', (data) => socket.write(data)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const client = net.connect(address.port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise((resolve) => client.once('connect', resolve));
  const once = () =>
    new Promise<void>((resolve) => {
      client.once('data', () => resolve());
      client.write('x');
    });
  try {
    for (let i = 0; i < 500; i++) await once();
    const busy = process.cpuUsage();
    for (let i = 0; i < BACK_TO_BACK; i++) await once();
    const backToBack = process.cpuUsage(busy);
    const idle = process.cpuUsage();
    for (let i = 0; i < FROM_IDLE; i++) {
      await once();
      await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    }
    const fromIdle = process.cpuUsage(idle);
    return {
      backToBackMicros: round((backToBack.user + backToBack.system) / BACK_TO_BACK),
      fromIdleMicros: round((fromIdle.user + fromIdle.system) / FROM_IDLE),
      fromIdleSystemMicros: round(fromIdle.system / FROM_IDLE),
    };
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

export function roundTripMarkdown(cost: RoundTripCost): string {
  return (
    'What a round trip costs this machine: a loopback TCP round trip between two sockets ' +
    `of one Node process takes ${cost.backToBackMicros} µs of CPU back to back, and ` +
    `${cost.fromIdleMicros} µs (${cost.fromIdleSystemMicros} µs of it in the kernel) when ` +
    `each starts from an idle event loop (one every ${PACE_MS} ms, timer included). A write ` +
    'at a modest rate crosses about twenty such round trips, each waking a process from ' +
    'idle: the API to Kafka, the worker’s fetch, eight PostgreSQL statements (five of the ' +
    'apply, three of the outbox relay), Redis, the change feed, the offset commit, the ' +
    'announcement to every API. That is why a write costs more CPU at a lower rate (fewer ' +
    'writes share each wake-up) and why the machine is busy well before the rate is high (docs/performance.md, "What a round trip costs").'
  );
}
