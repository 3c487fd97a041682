import type { IncomingMessage } from './event-consumer.js';
import { RunAbandoned, RunMerger, type RunApplier } from './run-merger.js';

class Unavailable extends Error {}

function aRun(partition: number, ...offsets: number[]): IncomingMessage[] {
  return offsets.map((offset) => ({
    topic: 'governance.events',
    partition,
    offset: String(offset),
    key: `service:s${partition}`,
    value: Buffer.from(`p${partition}-${offset}`),
    headers: {},
  }));
}

const labels = (run: IncomingMessage[]) => run.map((m) => m.value!.toString());
const heartbeat = () => Promise.resolve();

/** An applier whose calls stay open until the test lets them finish. */
function gatedApplier(fail?: (run: IncomingMessage[]) => Error | undefined) {
  const calls: { run: string[]; finish: () => void }[] = [];
  const apply: RunApplier = (run) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        run: labels(run),
        finish: () => {
          const error = fail?.(run);
          if (error) reject(error);
          else resolve();
        },
      });
    });
  return { calls, apply };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const isTransient = (error: unknown) => error instanceof Unavailable;

describe(RunMerger.name, () => {
  describe('submit', () => {
    it('takes only runs under a tenth of its largest merged run', () => {
      const merger = new RunMerger(() => Promise.resolve(), isTransient, {
        inFlight: 1,
        maxMessages: 50,
      });
      expect(merger.takes(aRun(0, 1, 2, 3, 4))).toBe(true);
      expect(merger.takes(aRun(0, 1, 2, 3, 4, 5))).toBe(false);
    });

    it('applies a run submitted while the worker is idle at once, on its own', async () => {
      const { calls, apply } = gatedApplier();
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 100 });
      const applied = merger.submit(aRun(0, 1, 2), heartbeat);
      expect(calls.map((c) => c.run)).toEqual([['p0-1', 'p0-2']]);
      calls[0].finish();
      await expect(applied).resolves.toBeUndefined();
    });

    it('merges the runs that wait behind a busy applier into one call, each in order', async () => {
      const { calls, apply } = gatedApplier();
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 100 });
      const first = merger.submit(aRun(0, 1), heartbeat);
      const waiting = [
        merger.submit(aRun(1, 7, 8), heartbeat),
        merger.submit(aRun(2, 3), heartbeat),
        merger.submit(aRun(4, 5, 6), heartbeat),
      ];
      expect(calls).toHaveLength(1);
      calls[0].finish();
      await first;
      await settle();
      expect(calls.map((c) => c.run)).toEqual([['p0-1'], ['p1-7', 'p1-8', 'p2-3', 'p4-5', 'p4-6']]);
      calls[1].finish();
      await expect(Promise.all(waiting)).resolves.toHaveLength(3);
    });

    it('keeps a merged run within its size, taking whole runs oldest first', async () => {
      const { calls, apply } = gatedApplier();
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 3 });
      const all = [
        merger.submit(aRun(0, 1), heartbeat),
        merger.submit(aRun(1, 1, 2), heartbeat),
        merger.submit(aRun(2, 1), heartbeat),
        merger.submit(aRun(3, 1, 2, 3, 4), heartbeat),
      ];
      for (let i = 0; i < 3; i++) {
        calls[i].finish();
        await settle();
      }
      calls[3]?.finish();
      await Promise.all(all);
      expect(calls.map((c) => c.run)).toEqual([
        ['p0-1'],
        ['p1-1', 'p1-2', 'p2-1'],
        ['p3-1', 'p3-2', 'p3-3', 'p3-4'],
      ]);
    });

    it('applies as many runs at once as it is allowed, and no more', () => {
      const { calls, apply } = gatedApplier();
      const merger = new RunMerger(apply, isTransient, { inFlight: 2, maxMessages: 100 });
      void merger.submit(aRun(0, 1), heartbeat);
      void merger.submit(aRun(1, 1), heartbeat);
      void merger.submit(aRun(2, 1), heartbeat);
      expect(calls.map((c) => c.run)).toEqual([['p0-1'], ['p1-1']]);
    });

    it("applies a failed merged run again run by run, so one lane's bad message fails only that lane", async () => {
      const bad = (run: IncomingMessage[]) =>
        labels(run).includes('p2-3') ? new Error('p2-3 breaks a rule') : undefined;
      const { calls, apply } = gatedApplier(bad);
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 100 });
      const first = merger.submit(aRun(0, 1), heartbeat);
      const good = merger.submit(aRun(1, 7), heartbeat);
      const failing = merger.submit(aRun(2, 3), heartbeat);
      const failed = expect(failing).rejects.toThrow('p2-3 breaks a rule');
      calls[0].finish();
      await first;
      await settle();
      calls[1].finish(); // the merged run p1-7 + p2-3 fails
      await settle();
      calls[2].finish(); // p1-7 alone
      await settle();
      calls[3].finish(); // p2-3 alone
      await expect(good).resolves.toBeUndefined();
      await failed;
      expect(calls.map((c) => c.run)).toEqual([['p0-1'], ['p1-7', 'p2-3'], ['p1-7'], ['p2-3']]);
    });

    it('hands back unapplied a run whose lane stopped owning it while it waited', async () => {
      const { calls, apply } = gatedApplier();
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 100 });
      let stillOwned = true;
      const first = merger.submit(aRun(0, 1), heartbeat);
      const lost = merger.submit(aRun(1, 1), heartbeat, () => stillOwned);
      const kept = merger.submit(aRun(2, 1), heartbeat);
      const handedBack = expect(lost).rejects.toBeInstanceOf(RunAbandoned);
      stillOwned = false; // a rebalance while it waited
      calls[0].finish();
      await first;
      await handedBack;
      await settle();
      expect(calls.map((c) => c.run)).toEqual([['p0-1'], ['p2-1']]);
      calls[1].finish();
      await expect(kept).resolves.toBeUndefined();
    });

    it('settles every run of a merged run even when deciding about its failure throws', async () => {
      const { calls, apply } = gatedApplier((run) =>
        run.length > 1 ? new Error('merged run failed') : undefined,
      );
      const throwing = () => {
        throw new Error('isTransient broke');
      };
      const merger = new RunMerger(apply, throwing, { inFlight: 1, maxMessages: 100 });
      const first = merger.submit(aRun(0, 1), heartbeat);
      const merged = Promise.allSettled([
        merger.submit(aRun(1, 1), heartbeat),
        merger.submit(aRun(2, 1), heartbeat),
      ]);
      calls[0].finish();
      await first;
      await settle();
      calls[1].finish();
      expect((await merged).map((s) => s.status)).toEqual(['rejected', 'rejected']);
      // The merger goes on taking runs afterwards.
      const next = merger.submit(aRun(3, 1), heartbeat);
      calls[2].finish();
      await expect(next).resolves.toBeUndefined();
    });

    it('hands a transient failure of a merged run to every run in it, to back off and retry', async () => {
      const { calls, apply } = gatedApplier((run) =>
        run.length > 1 ? new Unavailable('PostgreSQL away') : undefined,
      );
      const merger = new RunMerger(apply, isTransient, { inFlight: 1, maxMessages: 100 });
      const first = merger.submit(aRun(0, 1), heartbeat);
      const merged = [merger.submit(aRun(1, 1), heartbeat), merger.submit(aRun(2, 1), heartbeat)];
      const outcomes = Promise.allSettled(merged);
      calls[0].finish();
      await first;
      await settle();
      calls[1].finish();
      const settled = await outcomes;
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect(calls).toHaveLength(2);
    });
  });
});
