import { round } from './load.js';

export interface PropagationFigures {
  /** 0: one write at a time, each only once the previous one was visible. */
  writesPerSecond: number;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PropagationRun {
  /** The API instance that takes the writes. */
  writerUrl: string;
  /** Another API instance, whose effective view is read. */
  readerUrl: string;
  headers: Record<string, string>;
  slugOf(i: number): string;
  /** Services written and read in turn. */
  services: number;
  writesPerSecond: number;
  writes: number;
  /** Concurrent readers polling the reader instance. */
  readers: number;
}

/** Each reader's pause after a read: bounds the read rate to about `readers` per ms. */
const READ_PAUSE_MS = 1;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * From a write's `202` on one API instance to the change being readable in the effective
 * view of another. A few readers go round the services that have a write not yet seen,
 * pausing a millisecond after each read; each write counts as visible at the end of the
 * first read that shows it. The read rate stays bounded however long propagation takes,
 * so measuring does not slow what it measures.
 */
export async function measurePropagation(run: PropagationRun): Promise<PropagationFigures> {
  const effective = (i: number) =>
    `${run.readerUrl}/v1/services/${run.slugOf(i % run.services)}/effective?env=prod`;
  await Promise.all(
    Array.from({ length: run.services }, (_, i) => fetch(effective(i), { headers: run.headers })),
  );
  const waiting = new Map<number, { key: string; value: string; acceptedAt: number }[]>();
  const latencies: number[] = [];
  let writing = true;
  let turn = 0;
  let seen: (() => void) | undefined;
  const sleepers: (() => void)[] = [];
  const wakeReaders = () => sleepers.splice(0).forEach((wake) => wake());
  /** The next service with a write not yet seen, in turn; undefined when none is pending. */
  const nextPending = (): number | undefined => {
    for (let tried = 0; tried < run.services; tried++) {
      const service = turn++ % run.services;
      if ((waiting.get(service)?.length ?? 0) > 0) return service;
    }
    return undefined;
  };
  const pending = () => [...waiting.values()].some((w) => w.length > 0);
  // Readers read only services with a write pending, and pause between reads: flat-out
  // polling of every service took the cores that the servers being measured need.
  const readers = Array.from({ length: run.readers }, async () => {
    while (writing || pending()) {
      const service = nextPending();
      if (service === undefined) {
        await new Promise<void>((resolve) => {
          sleepers.push(resolve);
          setTimeout(resolve, 50);
        });
        continue;
      }
      // A kept-alive connection the server closed meanwhile fails once: read again.
      const read = await fetch(effective(service), { headers: run.headers }).catch(() => undefined);
      const readAt = performance.now();
      const view = read?.ok
        ? ((await read.json()) as { config: Record<string, unknown> })
        : undefined;
      const list = waiting.get(service) ?? [];
      waiting.set(
        service,
        list.filter((w) => {
          if (view?.config[w.key] !== w.value) {
            if (readAt - w.acceptedAt > 10_000) throw new Error(`${w.key} not visible after 10 s`);
            return true;
          }
          latencies.push(readAt - w.acceptedAt);
          seen?.();
          return false;
        }),
      );
      await pause(READ_PAUSE_MS);
    }
  });
  const write = async (i: number) => {
    // Every write its own entry: a later write to the same entry would hide this one.
    const key = `visible-${run.writesPerSecond}-${i}`;
    const value = `v-${i}`;
    const service = i % run.services;
    const answer = await fetch(
      `${run.writerUrl}/v1/services/${run.slugOf(service)}/config/prod/${key}`,
      { method: 'PUT', headers: run.headers, body: JSON.stringify({ value }) },
    );
    if (answer.status !== 202) throw new Error(`write answered ${answer.status}`);
    const list = waiting.get(service) ?? [];
    list.push({ key, value, acceptedAt: performance.now() });
    waiting.set(service, list);
    wakeReaders();
  };
  try {
    if (run.writesPerSecond === 0) {
      for (let i = 0; i < run.writes; i++) {
        const visible = new Promise<void>((resolve) => (seen = resolve));
        await write(i);
        await visible;
      }
    } else {
      const writes: Promise<void>[] = [];
      const started = Date.now();
      for (let i = 0; i < run.writes; i++) {
        const wait = started + (i * 1000) / run.writesPerSecond - Date.now();
        if (wait > 0) await pause(wait);
        writes.push(write(i));
      }
      await Promise.all(writes);
    }
  } finally {
    writing = false;
    wakeReaders();
  }
  await Promise.all(readers);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  return {
    writesPerSecond: run.writesPerSecond,
    writes: run.writes,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: round(latencies.at(-1) ?? 0),
  };
}
