import http from 'node:http';
import { round } from './load.js';
import { describeError } from './round.js';
import { RoundValues } from './round-values.js';

export interface PropagationFigures {
  /** 0: one write at a time, each only once the previous one was visible. */
  writesPerSecond: number;
  reading: PropagationRun['reading'];
  writes: number;
  /** Writes answered `202`. */
  accepted: number;
  /** `202`s per second over the round, from its first write to its last `202`. */
  acceptedPerSecond: number;
  /**
   * From the moment a write was due to its `202`, waiting for a free connection included:
   * an API that falls behind the rate shows here, not as a shorter propagation time.
   */
  writeP50Ms: number;
  writeP99Ms: number;
  /** Answers other than `202`, by status (a `503` with its `Retry-After`); not retried. */
  refused: Record<string, number>;
  /** Writes that got no answer at all, by what the connection said (`ECONNRESET: …`). */
  unanswered: Record<string, number>;
  /** Reads of the other instance that failed, by cause: read again at once. */
  failedReads: Record<string, number>;
  /** Accepted writes not visible through the other instance within VISIBLE_WITHIN_MS. */
  notVisible: number;
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
  /**
   * The writer's kept-alive connections, as a client's pool has: a write due while all are
   * busy waits for one (and counts that wait in its write time) instead of opening one more.
   */
  connections: number;
  /** Concurrent readers polling the reader instance (with `reading: 'poll'`). */
  readers: number;
  /**
   * `poll`: the readers read the services with a write pending, a millisecond apart.
   * `long-poll`: one reader per service holds a conditional GET (`If-None-Match` with
   * `Prefer: wait`) that the reader instance answers when the view changes.
   */
  reading: 'poll' | 'long-poll';
}

/** How long an accepted write may take to become visible before it counts as not visible. */
const VISIBLE_WITHIN_MS = 10_000;

/** Each reader's pause after a read: bounds the read rate to about `readers` per ms. */
const READ_PAUSE_MS = 1;

/** A long poll's `Prefer: wait`, in seconds: how long a reader may linger after the run. */
const LONG_POLL_SECONDS = 1;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const count = (tally: Record<string, number>, key: string) => {
  tally[key] = (tally[key] ?? 0) + 1;
};

export interface Answer {
  status: number;
  retryAfter?: string;
}

/**
 * One PUT through `agent`. Not `fetch`: its pool opens a connection for every write that
 * finds none free, and a rate the API does not keep up with then becomes thousands of
 * connection attempts that overflow the API's listen queue (the kernel resets them).
 */
export function putThrough(
  agent: http.Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
) {
  return new Promise<Answer>((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'PUT', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.once('error', reject);
        response.once('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter });
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

/** A GET's answer, its body read whole. */
export interface Read {
  status: number;
  etag?: string;
  body: string;
}

/**
 * One GET through `agent`. Not `fetch`: its CPU per request here is three times
 * node:http's (272 against 82 µs per GET, server included, measured 2026-12-07), and
 * what the readers use is taken from the servers being measured on the same cores.
 */
export function getThrough(agent: http.Agent, url: string, headers: Record<string, string>) {
  return new Promise<Read>((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => {
        const etag = response.headers.etag;
        resolve({
          status: response.statusCode ?? 0,
          etag,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.once('error', reject);
  });
}

interface Waiting {
  key: string;
  /** The write's number in its run. */
  index: number;
  acceptedAt: number;
}

/**
 * The entries each service's writes go round. A service's configuration stays the size a
 * real one has instead of growing by an entry per write (which made every load, view and
 * read of the service larger with each write the bench made).
 */
const KEYS_PER_SERVICE = 50;

/**
 * From a write's `202` on one API instance to the change being readable in the effective
 * view of another. Polling: a few readers go round the services that have a write not yet
 * seen, pausing a millisecond after each read; each write counts as visible at the end of
 * the first read that shows it, and the read rate stays bounded however long propagation
 * takes. Long polling: one conditional GET held per service, answered by the other
 * instance when the view changes; a write counts as visible when an answer shows it, or
 * at once if the answer came before its `202` did (0 ms). The readers' cost is then one
 * answer per change, not a read every millisecond. Whatever a write or a read meets (a
 * refusal, a reset connection, a change never seen) is counted in the figures, not thrown.
 */
export async function measurePropagation(run: PropagationRun): Promise<PropagationFigures> {
  const effective = (i: number) =>
    `${run.readerUrl}/v1/services/${run.slugOf(i % run.services)}/effective?env=prod`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: run.connections });
  // One connection per reader (or per long poll): a reader's reads follow one another.
  const readerAgent = new http.Agent({ keepAlive: true, maxSockets: run.services });
  const refused: Record<string, number> = {};
  const unanswered: Record<string, number> = {};
  const failedReads: Record<string, number> = {};
  const waiting = new Map<number, Waiting[]>();
  const latencies: number[] = [];
  const writeTimes: number[] = [];
  let notVisible = 0;
  let lastAccepted = 0;
  let writing = true;
  let turn = 0;
  // Settles the sequential run's wait for one write: seen, or given up on.
  let settled: (() => void) | undefined;
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
  const values = new RoundValues(
    `${run.writesPerSecond}-${run.reading}`,
    run.services * KEYS_PER_SERVICE,
  );

  const read = async (service: number) => {
    try {
      const answer = await getThrough(readerAgent, effective(service), run.headers);
      if (answer.status !== 200) {
        count(failedReads, `status ${answer.status}`);
        return undefined;
      }
      return (JSON.parse(answer.body) as { config: Record<string, unknown> }).config;
    } catch (error) {
      count(failedReads, describeError(error));
      return undefined;
    }
  };
  await Promise.all(Array.from({ length: run.services }, (_, i) => read(i)));

  /** Counts the writes pending on `service` that `config`, read at `readAt`, shows. */
  const settle = (service: number, config: Record<string, unknown> | undefined, readAt: number) => {
    const pending = waiting.get(service) ?? [];
    waiting.set(
      service,
      pending.filter((w) => {
        if (values.shows(config?.[w.key], w.index)) latencies.push(readAt - w.acceptedAt);
        else if (readAt - w.acceptedAt > VISIBLE_WITHIN_MS) notVisible++;
        else return true;
        settled?.();
        return false;
      }),
    );
  };

  /**
   * The view each long poll last got. An answer can overtake the write's own `202` (the
   * client reads the answer before the `202`), and the next long poll then waits for a
   * change that already came: the write counts as seen as soon as it is waited for.
   */
  const lastViews = new Map<number, Record<string, unknown> | undefined>();

  /** One service's long poll: each answer is the view as it changed (or a `304`). */
  const longPoll = async (service: number) => {
    let etag: string | undefined;
    while (writing || (waiting.get(service)?.length ?? 0) > 0) {
      const conditional = etag
        ? { 'if-none-match': etag, prefer: `wait=${LONG_POLL_SECONDS}` }
        : undefined;
      try {
        const answer = await getThrough(readerAgent, effective(service), {
          ...run.headers,
          ...conditional,
        });
        if (answer.status === 200) {
          etag = answer.etag;
          const { config } = JSON.parse(answer.body) as { config: Record<string, unknown> };
          lastViews.set(service, config);
        } else {
          if (answer.status !== 304) {
            count(failedReads, `status ${answer.status}`);
            await pause(10);
          }
        }
      } catch (error) {
        count(failedReads, describeError(error));
        await pause(10);
      }
      settle(service, lastViews.get(service), performance.now());
    }
  };

  // Readers read only services with a write pending, and pause between reads: flat-out
  // polling of every service took the cores that the servers being measured need.
  const readers = Array.from({ length: run.reading === 'poll' ? run.readers : 0 }, async () => {
    while (writing || pending()) {
      const service = nextPending();
      if (service === undefined) {
        await new Promise<void>((resolve) => {
          sleepers.push(resolve);
          setTimeout(resolve, 50);
        });
        continue;
      }
      const config = await read(service);
      settle(service, config, performance.now());
      // Nothing to read (a reader instance that is away, say): do not spin.
      await pause(config === undefined ? 10 : READ_PAUSE_MS);
    }
  });

  const longPollers =
    run.reading === 'long-poll'
      ? Array.from({ length: run.services }, (_, service) => longPoll(service))
      : [];

  /** Resolves true once the write is accepted and waited for. */
  const write = async (i: number, dueAt: number): Promise<boolean> => {
    const service = i % run.services;
    const key = `visible-${Math.floor(i / run.services) % KEYS_PER_SERVICE}`;
    const value = values.of(i);
    const url = `${run.writerUrl}/v1/services/${run.slugOf(service)}/config/prod/${key}`;
    let answer: Answer;
    try {
      answer = await putThrough(agent, url, run.headers, JSON.stringify({ value }));
    } catch (error) {
      count(unanswered, describeError(error));
      return false;
    }
    if (answer.status !== 202) {
      const retry = answer.retryAfter === undefined ? '' : `, Retry-After ${answer.retryAfter}`;
      count(refused, `${answer.status}${retry}`);
      return false;
    }
    const acceptedAt = performance.now();
    lastAccepted = acceptedAt;
    writeTimes.push(acceptedAt - dueAt);
    const list = waiting.get(service) ?? [];
    list.push({ key, index: i, acceptedAt });
    waiting.set(service, list);
    if (lastViews.has(service)) settle(service, lastViews.get(service), performance.now());
    wakeReaders();
    return true;
  };

  const started = performance.now();
  try {
    if (run.writesPerSecond === 0) {
      for (let i = 0; i < run.writes; i++) {
        const done = new Promise<void>((resolve) => (settled = resolve));
        if (await write(i, performance.now())) await done;
      }
    } else {
      const writes: Promise<boolean>[] = [];
      for (let i = 0; i < run.writes; i++) {
        const dueAt = started + (i * 1000) / run.writesPerSecond;
        const wait = dueAt - performance.now();
        if (wait > 0) await pause(wait);
        writes.push(write(i, dueAt));
      }
      await Promise.all(writes);
    }
  } finally {
    writing = false;
    wakeReaders();
  }
  await Promise.all(readers);
  await Promise.all(longPollers);
  agent.destroy();
  readerAgent.destroy();
  const quantile = (values: number[], q: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
      : NaN;
  };
  const accepted = writeTimes.length;
  return {
    writesPerSecond: run.writesPerSecond,
    reading: run.reading,
    writes: run.writes,
    accepted,
    acceptedPerSecond: accepted
      ? Math.round(accepted / Math.max(0.001, (lastAccepted - started) / 1000))
      : 0,
    writeP50Ms: quantile(writeTimes, 0.5),
    writeP99Ms: quantile(writeTimes, 0.99),
    refused,
    unanswered,
    failedReads,
    notVisible,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: round(Math.max(0, ...latencies)),
  };
}
