import os from 'node:os';
import { round } from './load.js';

/** Above this 1-minute load average a round says more about the machine than about Warden. */
export const QUIET_LOAD_AVERAGE = 1.5;

export interface RoundStart {
  /** The 1-minute load average when the round started. */
  loadAverage: number;
  /** False when the machine was still busier than QUIET_LOAD_AVERAGE: report, do not trust. */
  valid: boolean;
}

/**
 * Waits (up to BENCH_COOL_SECONDS, default 60) for the 1-minute load average to fall to
 * QUIET_LOAD_AVERAGE, so that a round does not start in the wake of the previous one, and
 * says whether it did. The benchmark's own load generator counts too: that is the point.
 */
export async function quietRoundStart(): Promise<RoundStart> {
  const limitSeconds = Number(process.env.BENCH_COOL_SECONDS ?? 60);
  const deadline = Date.now() + limitSeconds * 1000;
  while (os.loadavg()[0] > QUIET_LOAD_AVERAGE && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const loadAverage = round(os.loadavg()[0], 2);
  return { loadAverage, valid: loadAverage <= QUIET_LOAD_AVERAGE };
}

/** The median of the values (of the valid rounds when there are any). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
