/** The write-path bench's figures, and the table and notes that `bench/results/latest.md` shows. */
import type { PropagationFigures } from './propagation.js';
import { roundTripMarkdown, type RoundTripCost } from './round-trip-cost.js';
import { cpuMarkdown, type CpuShare } from './cpu-census.js';
import type { RoundStart } from './quiet.js';
import { failed, type FailedRound } from './round.js';
import { stagesMarkdown, type StageQuantiles } from './write-stages.js';
import { PROPAGATION_CONNECTIONS } from './write-bench.js';

export interface ApplyFigures {
  events: number;
  eventsPerSecond: number;
  /** The worker's CPU time (user + system) per event applied: what load does not move. */
  workerCpuMicrosPerEvent: number;
  /** Who used the cores from the first event applied to the last in Redis. */
  cpu: CpuShare[];
  bareConsumerPerSecond: number;
  ratio: number;
}

export interface AcceptFigures {
  connections: number;
  acceptedPerSecond: number;
  bareProducerPerSecond: number;
  ratio: number;
  failed: number;
  /** Who used the cores over the measured run, per `202`. */
  cpu: CpuShare[];
}

export type PropagationRound = PropagationFigures &
  RoundStart & { stages: StageQuantiles[]; cpu: CpuShare[] };
/** Which propagation run: its rate and how the other instance was read. */
export type PropagationKind = Pick<PropagationFigures, 'writesPerSecond' | 'reading'>;
export type PropagationRuns = (PropagationRound | (FailedRound & PropagationKind))[];

/** Each round measured, or why it could not be: one failed round does not stop the others. */
export interface WritePathFigures {
  apply: (ApplyFigures & RoundStart) | FailedRound;
  /** The same backlog of changes from an outside producer: unsigned, validated in full. */
  applyOutside?: (ApplyFigures & RoundStart) | FailedRound;
  /** Markdown of the worker's CPU profile of the apply phase (BENCH_PROFILE_DIR). */
  profile?: string;
  /** Absent in a quick run (BENCH_WRITE_QUICK). */
  accept?: (AcceptFigures & RoundStart) | FailedRound;
  propagation: PropagationRuns;
  /** Measured before the rounds, on the same machine. */
  roundTrip?: RoundTripCost;
}

export const TARGETS = {
  applyPerSecond: 12_000,
  acceptPerSecond: 6_000,
  p99At500Ms: 50,
  sequentialP50Ms: 8,
  sequentialP99Ms: 20,
};

const readingOf = (kind: PropagationKind) =>
  kind.reading === 'long-poll' ? 'long-polling readers' : 'polling readers';

/** The API's CPU per write in µs, from an accept run's census. */
const apiMicros = (cpu: CpuShare[]) =>
  Math.round((cpu.find((s) => s.party === 'API')?.msPerUnit ?? NaN) * 1000);

export const rateLabel = (kind: PropagationKind) =>
  `${kind.writesPerSecond ? `${kind.writesPerSecond} writes/s` : 'one at a time'}, ${readingOf(kind)}`;

export const rateOf = (kind: PropagationKind) =>
  `${kind.writesPerSecond === 0 ? 'one write at a time' : `${kind.writesPerSecond} writes/s`}, ${readingOf(kind)}`;

/** What a propagation round met besides `202`s, in words; empty when it met nothing. */
export function mishaps(p: PropagationRound): string {
  const tally = (what: string, counts: Record<string, number>) =>
    Object.entries(counts).map(([reason, n]) => `${n} ${what} (${reason})`);
  return [
    ...tally('refused', p.refused),
    ...tally('unanswered', p.unanswered),
    ...tally('reads failed', p.failedReads),
    ...(p.notVisible ? [`${p.notVisible} not visible within 10 s`] : []),
  ].join(', ');
}

export function writePathMarkdown(f: WritePathFigures): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const load = (r: RoundStart) => `${r.loadAverage}${r.valid ? '' : ' (INVALID: not quiet)'}`;
  const failedRow = (what: string, r: FailedRound) =>
    `| ${what} | **failed**: ${r.error} | | | | |`;
  const propagationRow = (p: PropagationRuns[number]) => {
    const what = `propagation: \`202\` on one API → visible in the effective view (GET) of another, ${rateOf(p)}`;
    if (failed(p)) return failedRow(what, p);
    const target =
      p.writesPerSecond === 500
        ? `p99 ≤ ${TARGETS.p99At500Ms} ms: ${met(p.p99Ms <= TARGETS.p99At500Ms)}`
        : p.writesPerSecond === 0
          ? `p50 ≤ ${TARGETS.sequentialP50Ms} ms, p99 ≤ ${TARGETS.sequentialP99Ms} ms: ${met(p.p50Ms <= TARGETS.sequentialP50Ms && p.p99Ms <= TARGETS.sequentialP99Ms)}`
          : '—';
    const writes = `${p.accepted} of ${p.writes} writes accepted (${p.acceptedPerSecond}/s; due → \`202\` p50 ${p.writeP50Ms} ms, p99 ${p.writeP99Ms} ms)`;
    const besides = mishaps(p);
    return `| ${what}; ${writes}${besides ? `; ${besides}` : ''} | p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms | | | ${target} | ${load(p)} |`;
  };
  const apply = (a: WritePathFigures['apply']) =>
    failed(a)
      ? failedRow('apply', a)
      : `| apply: events/s from a pre-filled topic (${a.events} events signed as the API signs them) until applied in PostgreSQL and Redis; worker CPU ${a.workerCpuMicrosPerEvent} µs per event | ${a.eventsPerSecond} | ${a.bareConsumerPerSecond} (a consumer that only reads) | ${a.ratio} | ≥ ${TARGETS.applyPerSecond.toLocaleString('en')}/s: ${met(a.eventsPerSecond >= TARGETS.applyPerSecond)} | ${load(a)} |`;
  const applyOutside = (a: NonNullable<WritePathFigures['applyOutside']>) =>
    failed(a)
      ? failedRow('apply, outside producer', a)
      : `| apply, outside producer: the same number of changes unsigned (${a.events} events, each validated in full); worker CPU ${a.workerCpuMicrosPerEvent} µs per event | ${a.eventsPerSecond} | | ${a.ratio} | — | ${load(a)} |`;
  const accept = (a: NonNullable<WritePathFigures['accept']>) =>
    failed(a)
      ? failedRow('accept', a)
      : `| accept: \`202\`s/s at ${a.connections} connections (${a.failed} failed); API CPU ${apiMicros(a.cpu)} µs per write | ${a.acceptedPerSecond} | ${a.bareProducerPerSecond} (acks=all, ${a.connections} concurrent sends) | ${a.ratio} | ≥ ${TARGETS.acceptPerSecond.toLocaleString('en')}/s: ${met(a.acceptedPerSecond >= TARGETS.acceptPerSecond)} | ${load(a)} |`;
  return [
    '| measure | Warden | bare kafkajs | ratio | target | load average at start |',
    '|---|---|---|---|---|---|',
    apply(f.apply),
    ...(f.applyOutside ? [applyOutside(f.applyOutside)] : []),
    ...(f.accept ? [accept(f.accept)] : []),
    ...f.propagation.map(propagationRow),
    '',
    'The bare consumer only counts what it reads; the worker validates, applies in one ' +
      'PostgreSQL transaction per batch, writes Redis, announces and feeds the outbox, so the ' +
      'apply ratio says how much of the time goes to that work rather than to Kafka. An ' +
      'envelope the API signed is checked by its frame only (the API validated the write ' +
      "with the same rules); an outside producer's envelope is validated in full. The API " +
      'gathers concurrent writes into one `sendBatch`, which is why it can outrun a producer ' +
      'that sends one message per request. The propagation runs write through a pool of ' +
      `${PROPAGATION_CONNECTIONS} kept-alive connections; a write due while all are busy waits ` +
      'for one, and that wait counts in its due → `202` time.',
    '',
    'Who used the cores: CPU time (user + system, /proc) of the processes under test, of ' +
      "the machine's servers and of the load generator over each run, and what is left of " +
      "the machine's busy time; the worker is one thread, so its line in cores is at most 1.",
    ...[f.apply, f.applyOutside].flatMap((a, i) =>
      a && !failed(a)
        ? ['', cpuMarkdown(i ? 'apply, outside producer' : 'apply, signed', 'event', a.cpu)]
        : [],
    ),
    ...(f.accept && !failed(f.accept) ? ['', cpuMarkdown('accept', '`202`', f.accept.cpu)] : []),
    '',
    'Where the propagation time went: the per-stage histograms `warden_write_stage_seconds` ' +
      'of both APIs and the worker, scraped before and after each run (quantiles interpolated ' +
      'within buckets; the p50s of the stages do not add up to the p50 of the whole).',
    ...(f.roundTrip ? ['', roundTripMarkdown(f.roundTrip)] : []),
    ...(f.profile ? ['', f.profile] : []),
    ...f.propagation.flatMap((p) =>
      failed(p)
        ? []
        : [
            '',
            stagesMarkdown(rateLabel(p), p.stages),
            '',
            cpuMarkdown(rateLabel(p), 'write accepted', p.cpu),
          ],
    ),
  ].join('\n');
}
