import { jest } from '@jest/globals';
import { scheduleCheckPendingRequests, type RequestQueueState } from './request-queue-fix.js';

function aQueue(
  overrides: Partial<RequestQueueState> = {},
): RequestQueueState & { checks: number } {
  const queue = {
    pending: [] as unknown[],
    throttledUntil: -1,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checks: 0,
    checkPendingRequests() {
      queue.checks++;
    },
    ...overrides,
  };
  return queue;
}

describe('scheduleCheckPendingRequests', () => {
  afterEach(() => jest.useRealTimers());

  it('schedules no check while nothing waits and nothing is throttled', () => {
    jest.useFakeTimers();
    const queue = aQueue();
    scheduleCheckPendingRequests.call(queue);
    jest.advanceTimersByTime(1000);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    expect(queue.checks).toBe(0);
  });

  it('checks a queue with waiting requests again', () => {
    jest.useFakeTimers();
    const queue = aQueue({ pending: [{}] });
    scheduleCheckPendingRequests.call(queue);
    jest.advanceTimersByTime(1000);
    expect(queue.checks).toBe(1);
  });

  it('checks again when a throttle ends', () => {
    jest.useFakeTimers();
    const queue = aQueue({ throttledUntil: Date.now() + 500 });
    scheduleCheckPendingRequests.call(queue);
    jest.advanceTimersByTime(499);
    expect(queue.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(queue.checks).toBe(1);
  });
});
