/**
 * The flags each app's `node` is started with, wherever Warden starts it: `npm run
 * start:worker` and `npm run up` (which spell them out), the tests and the bench (which
 * read them here). Flags that size V8's heap cannot be changed once the process runs.
 */
export const NODE_FLAGS: Record<'api' | 'worker', readonly string[]> = {
  // A young generation of 2 × 64 MiB instead of V8's 2 × 16 MiB: a run's envelopes, rows
  // and documents live a few milliseconds, long enough to survive a small young
  // generation and be copied. Garbage collection fell from 16–18 % to 11 % of the worker's
  // CPU while applying a backlog (docs/performance.md); it costs at most 96 MiB of RSS.
  worker: ['--max-semi-space-size=64'],
  // The API's collections are 4–6 % of its CPU; its memory is held to the read path's bound.
  api: [],
};
