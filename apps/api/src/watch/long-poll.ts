import { etagMatches } from '#domain/etag';
import type { ViewFrame } from './view-frame.js';
import type { ViewSubscriber, WatchedView } from './view-stream.js';

/** A request held until its view's ETag differs from the one the client sent. */
export class LongPoll implements ViewSubscriber {
  readonly settled: Promise<ViewFrame | undefined>;
  private resolve!: (frame: ViewFrame | undefined) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ifNoneMatch: string,
    private readonly heldEtag: string | undefined,
    waitMs: number,
  ) {
    this.settled = new Promise((resolve) => (this.resolve = resolve));
    this.timer = setTimeout(() => this.resolve(undefined), waitMs);
  }

  deliver(_view: WatchedView, frame: ViewFrame): void {
    if (frame.etag === undefined || !etagMatches(this.ifNoneMatch, frame.etag)) {
      clearTimeout(this.timer);
      this.resolve(frame);
    }
  }

  held(): string | undefined {
    return this.heldEtag;
  }

  /** The client went away before an answer. */
  cancel(): void {
    clearTimeout(this.timer);
    this.resolve(undefined);
  }
}
