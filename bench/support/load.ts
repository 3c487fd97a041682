import autocannon from 'autocannon';

export interface LoadFigures {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time (user + system) the measured server spent per request, when its pid was given. */
  cpuMicrosPerRequest?: number;
}

export interface LoadRun {
  /** The server, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Requested in turn, across all connections. */
  paths: readonly string[];
  headers?: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** The server's process: its CPU time is read before and after the measured run. */
  cpu?: { cpuSeconds(): number };
}

/** autocannon: a warm-up that is thrown away, then the measured run. */
export async function measureLoad(run: LoadRun): Promise<LoadFigures> {
  let next = 0;
  const base = {
    url: run.baseUrl,
    headers: run.headers,
    connections: run.connections,
    pipelining: 1,
    requests: [
      {
        method: 'GET' as const,
        setupRequest: (request: autocannon.Request) => {
          request.path = run.paths[next++ % run.paths.length];
          return request;
        },
      },
    ],
  };
  if (run.warmupSeconds > 0) await autocannon({ ...base, duration: run.warmupSeconds });
  const cpuBefore = run.cpu?.cpuSeconds();
  const result = await autocannon({ ...base, duration: run.durationSeconds });
  const cpuAfter = run.cpu?.cpuSeconds();
  const cpuMicrosPerRequest =
    cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0
      ? round(((cpuAfter - cpuBefore) * 1e6) / result.requests.total)
      : undefined;
  return {
    cpuMicrosPerRequest,
    requestsPerSecond: round(result.requests.average),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
