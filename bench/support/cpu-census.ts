import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * The CPU time of every party to a run, read from /proc: the bench's own processes by
 * pid, the machine's servers by name, and the rest of the machine as what is left of its
 * busy time. A round's census says whether the cores were the limit and who used them.
 */
export interface CpuSnapshot {
  at: number;
  /** Seconds of CPU (user + system) by party. */
  seconds: Record<string, number>;
  /** Seconds the whole machine was busy (all cores, /proc/stat). */
  machineBusy: number;
}

export interface CpuShare {
  party: string;
  /** Cores in use on average over the run. */
  cores: number;
  /** Milliseconds of CPU per unit of work (per write, per event). */
  msPerUnit: number;
}

const TICKS_PER_SECOND = 100;

function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    return [
      stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ...stat.slice(stat.lastIndexOf(')') + 2).split(' '),
    ];
  } catch {
    return undefined; // the process ended between the listing and the read
  }
}

/** utime + stime, plus the time of children that ended (PostgreSQL's finished backends). */
function secondsOf(fields: string[]): number {
  const [utime, stime, cutime, cstime] = [12, 13, 14, 15].map((i) => Number(fields[i]));
  return (utime + stime + cutime + cstime) / TICKS_PER_SECOND;
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Which of the machine's servers a process is, by its name and command line. */
function serverOf(comm: string, pid: string): string | undefined {
  if (comm === 'postgres') return 'PostgreSQL';
  if (comm.startsWith('redis-server')) return 'Redis';
  if (comm === 'java' && cmdline(pid).includes('kafka')) return 'Kafka';
  return undefined;
}

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** `named`: the bench's own children by pid; the bench itself is counted as `load generator`. */
export function cpuSnapshot(named: Record<string, number>): CpuSnapshot {
  const seconds: Record<string, number> = {};
  const byPid = new Map(Object.entries(named).map(([party, pid]) => [String(pid), party]));
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const fields = statFields(pid);
    if (!fields) continue;
    const party = byPid.get(pid) ?? serverOf(fields[0], pid);
    if (party) seconds[party] = (seconds[party] ?? 0) + secondsOf(fields);
  }
  const own = process.cpuUsage();
  seconds['load generator'] = (own.user + own.system) / 1e6;
  return { at: Date.now(), seconds, machineBusy: machineBusySeconds() };
}

/** Each party's share between two snapshots; `other` is the machine's busy time left over. */
export function cpuShares(before: CpuSnapshot, after: CpuSnapshot, units: number): CpuShare[] {
  const wall = (after.at - before.at) / 1000;
  const share = (party: string, seconds: number): CpuShare => ({
    party,
    cores: Math.round((seconds / wall) * 100) / 100,
    msPerUnit: Number(((seconds * 1000) / Math.max(units, 1)).toPrecision(3)),
  });
  const shares = Object.keys(after.seconds).map((party) =>
    share(party, after.seconds[party] - (before.seconds[party] ?? 0)),
  );
  const busy = after.machineBusy - before.machineBusy;
  const counted = shares.reduce((sum, s) => sum + s.cores * wall, 0);
  shares.push(share('everything else', Math.max(busy - counted, 0)));
  shares.push(share(`the machine (${cpus().length} cores)`, busy));
  return shares.sort((a, b) => b.cores - a.cores);
}

/** A round's census as a table: who used the cores, per unit of `unit`. */
export function cpuMarkdown(title: string, unit: string, shares: CpuShare[]): string {
  return [
    `| ${title}: CPU | cores in use | ms of CPU per ${unit} |`,
    '|---|---:|---:|',
    ...shares.map((s) => `| ${s.party} | ${s.cores} | ${s.msPerUnit} |`),
  ].join('\n');
}
