import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * A stretch of time on the profile's clock: microseconds of the monotonic clock, which
 * `process.hrtime.bigint() / 1000n` also reads in the process that started the profiled one.
 */
export type ProfileWindow = [startMicros: number, endMicros: number];

/** Now, on the clock of a profile's samples. */
export function profileClockMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface ProfileShare {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  /** Self time by function, largest first. */
  functions: ProfileShare[];
  /** Self time by where the code lives: a package of node_modules, Warden's own code, Node. */
  places: ProfileShare[];
}

function placeOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.startsWith('node:')) return 'node (core)';
  const own = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  return own ? `warden ${own[1]}` : url;
}

/**
 * Self time of a `node --cpu-prof` profile by function and by package, for a table; with
 * `windows`, of the samples taken within them only (one phase of a longer run).
 */
export function summariseProfile(
  file: string,
  top = 15,
  windows?: ProfileWindow[],
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some(([start, end]) => at >= start && at <= end)) return;
    self.set(id, (self.get(id) ?? 0) + delta);
    total += delta;
  });
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)!;
    if (callFrame.functionName === '(idle)') {
      total -= micros;
      continue;
    }
    const file = callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const name = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const place = placeOf(callFrame.url, callFrame.functionName);
    places.set(place, (places.get(place) ?? 0) + micros);
  }
  const shares = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, percent: Math.round((micros / total) * 1000) / 10 }));
  return {
    sampledMs: Math.round(total / 1000),
    functions: shares(functions),
    places: shares(places),
  };
}

export function profileMarkdown(title: string, summary: ProfileSummary): string {
  return [
    `${title} (${summary.sampledMs} ms of CPU sampled, idle excluded):`,
    '',
    '| self time by package | % |',
    '|---|---:|',
    ...summary.places.map((p) => `| ${p.name} | ${p.percent} |`),
    '',
    '| self time by function | % |',
    '|---|---:|',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.percent} |`),
  ].join('\n');
}
