import { jest } from '@jest/globals';
import { OffsetCommits, type PartitionOffset } from './offset-commits.js';

/** A broker that answers each OffsetCommit request when the test says so. */
function aBroker(spacingMs = 0) {
  const requests: PartitionOffset[][] = [];
  const answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const committed: string[] = [];
  const failed: string[] = [];
  const commits = new OffsetCommits(
    {
      send: (offsets) =>
        new Promise<void>((resolve, reject) => {
          requests.push(offsets);
          answers.push({ resolve, reject });
        }),
      onCommitted: (partition, offset) => committed.push(`${partition}@${offset}`),
      onCommitFailed: (partition, offset) => failed.push(`${partition}@${offset}`),
    },
    spacingMs,
  );
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  return { commits, requests, answers, committed, failed, turn };
}

const request = (...pairs: [number, string][]) =>
  pairs.map(([partition, offset]) => ({ topic: 't', partition, offset }));

describe('OffsetCommits', () => {
  it('sends what was asked while a request was in flight as one request, latest offset per partition', async () => {
    const broker = aBroker();
    broker.commits.commit('t', 0, '5', '9');
    await broker.turn();
    broker.commits.commit('t', 1, '3', '9');
    broker.commits.commit('t', 2, '7', '9');
    broker.commits.commit('t', 1, '4', '9');
    await broker.turn();
    expect(broker.requests).toEqual([request([0, '5'])]);

    broker.answers[0].resolve();
    await broker.turn();
    expect(broker.requests).toEqual([request([0, '5']), request([1, '4'], [2, '7'])]);
    broker.answers[1].resolve();
    await broker.commits.settled();
    expect(broker.committed).toEqual(['0@5', '1@4', '2@7']);
  });

  it('reports a failed request for each of its partitions and goes on with the next', async () => {
    const broker = aBroker();
    broker.commits.commit('t', 0, '5', '9');
    broker.commits.commit('t', 1, '2', '9');
    await broker.turn();
    broker.answers[0].reject(new Error('REBALANCE_IN_PROGRESS'));
    await broker.turn();
    expect(broker.failed).toEqual(['0@5', '1@2']);

    broker.commits.commit('t', 0, '6', '9');
    await broker.turn();
    expect(broker.requests[1]).toEqual(request([0, '6']));
    broker.answers[1].resolve();
    await broker.commits.settled();
    expect(broker.committed).toEqual(['0@6']);
  });

  it('starts a request for an offset asked for right after the last one was answered', async () => {
    const broker = aBroker();
    broker.commits.commit('t', 0, '1', '9');
    await broker.turn();
    broker.answers[0].resolve();
    // In the same turn as the answer: the loop may be about to finish.
    queueMicrotask(() => broker.commits.commit('t', 0, '2', '9'));
    await broker.turn();
    await broker.turn();
    expect(broker.requests).toEqual([request([0, '1']), request([0, '2'])]);
    broker.answers[1].resolve();
    await broker.commits.settled();
    expect(broker.committed).toEqual(['0@1', '0@2']);
  });

  it('never moves a due offset back (a lane that lost its partition finishing a run late)', async () => {
    const broker = aBroker();
    broker.commits.commit('t', 0, '1', '9');
    await broker.turn();
    broker.commits.commit('t', 0, '40', '90');
    broker.commits.commit('t', 0, '25', '90');
    broker.answers[0].resolve();
    await broker.turn();
    expect(broker.requests[1]).toEqual(request([0, '40']));
    broker.answers[1].resolve();
    await broker.commits.settled();
  });

  it('goes on, and settles, when a hook that reports throws', async () => {
    const requests: PartitionOffset[][] = [];
    const commits = new OffsetCommits({
      send: async (offsets) => void requests.push(offsets),
      onCommitted: () => {
        throw new Error('metric broken');
      },
    });
    commits.commit('t', 0, '1', '9');
    await commits.settled();
    commits.commit('t', 0, '2', '9');
    await commits.settled();
    expect(requests).toEqual([request([0, '1']), request([0, '2'])]);
  });

  it('is settled only once every offset asked for was sent', async () => {
    const broker = aBroker();
    let settled = false;
    broker.commits.commit('t', 0, '1', '9');
    await broker.turn();
    broker.commits.commit('t', 1, '1', '9');
    const waiting = broker.commits.settled().then(() => (settled = true));
    broker.answers[0].resolve();
    await broker.turn();
    expect(settled).toBe(false);
    broker.answers[1].resolve();
    await waiting;
    expect(broker.committed).toEqual(['0@1', '1@1']);
  });

  describe('spaced', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    it('sends the first commit after a quiet spell at once and the next no sooner than the spacing allows', async () => {
      const broker = aBroker(100);
      broker.commits.commit('t', 0, '1', '9');
      await broker.turn();
      expect(broker.requests).toEqual([request([0, '1'])]);
      broker.answers[0].resolve();
      broker.commits.commit('t', 0, '2', '9');
      broker.commits.commit('t', 1, '5', '9');
      await broker.turn();
      jest.advanceTimersByTime(99);
      await broker.turn();
      expect(broker.requests).toHaveLength(1);
      jest.advanceTimersByTime(1);
      await broker.turn();
      expect(broker.requests[1]).toEqual(request([0, '2'], [1, '5']));
      broker.answers[1].resolve();
      await broker.commits.settled();
      expect(broker.committed).toEqual(['0@1', '0@2', '1@5']);
    });

    it('does not make a stopping consumer wait for the spacing', async () => {
      const broker = aBroker(60_000);
      broker.commits.commit('t', 0, '1', '9');
      await broker.turn();
      broker.answers[0].resolve();
      broker.commits.commit('t', 0, '2', '9');
      await broker.turn();
      const settled = broker.commits.settled();
      await broker.turn();
      expect(broker.requests[1]).toEqual(request([0, '2']));
      broker.answers[1].resolve();
      await settled;
      expect(broker.committed).toEqual(['0@1', '0@2']);
    });
  });
});
