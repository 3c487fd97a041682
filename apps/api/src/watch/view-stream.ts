import type { ServerResponse } from 'node:http';
import { HEARTBEAT, type ViewFrame } from './view-frame.js';

/** A view that watchers can be told about; the hub's topic of one (slug, env). */
export interface WatchedView {
  readonly slug: string;
  readonly env: string;
}

/** Anything the hub fans a view's new state out to: a stream, or a waiting long poll. */
export interface ViewSubscriber {
  deliver(view: WatchedView, frame: ViewFrame): void;
  /** The ETag of `view` that this subscriber's reader holds (written and drained). */
  held(view: WatchedView): string | undefined;
}

/**
 * One open Server-Sent Events response. Writes never wait: while the socket has not
 * drained, only the latest frame per view is kept (a slow reader gets the latest view,
 * never a backlog, and the fan-out loop never waits for it).
 */
export class ViewStream implements ViewSubscriber {
  private blocked = false;
  private closed = false;
  private readonly pending = new Map<WatchedView, ViewFrame>();
  /** Frames written while blocked: the reader holds them once the socket drains. */
  private readonly unconfirmed = new Map<WatchedView, string | undefined>();
  private readonly holding = new Map<WatchedView, string | undefined>();

  constructor(
    private readonly response: ServerResponse,
    private readonly shape: 'single' | 'multi',
  ) {
    response.on('close', () => (this.closed = true));
  }

  /**
   * Starts the stream with one write: the retry hint, the initial frames and a trailer
   * (the `sync` marker), so nothing can come between them.
   */
  open(head: string, initial: [WatchedView, ViewFrame][], trailer = ''): void {
    const parts: Buffer[] = [Buffer.from(head)];
    for (const [, frame] of initial) parts.push(this.bytes(frame));
    if (trailer) parts.push(Buffer.from(trailer));
    const written = new Map(initial.map(([view, frame]) => [view, frame.etag]));
    this.push(Buffer.concat(parts), written);
  }

  /** Marks a view as held without sending it (the reader named it in `Last-Event-ID`). */
  assume(view: WatchedView, etag: string | undefined): void {
    this.holding.set(view, etag);
  }

  deliver(view: WatchedView, frame: ViewFrame): void {
    if (this.closed) return;
    if (this.blocked) this.pending.set(view, frame);
    else this.push(this.bytes(frame), new Map([[view, frame.etag]]));
  }

  held(view: WatchedView): string | undefined {
    return this.holding.get(view);
  }

  /** A comment line, skipped while data is still waiting to drain (that is alive enough). */
  heartbeat(): void {
    if (!this.closed && !this.blocked) this.response.write(HEARTBEAT);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    if (!this.closed) this.response.end();
    this.closed = true;
  }

  private bytes(frame: ViewFrame): Buffer {
    return this.shape === 'single' ? frame.single : frame.multi;
  }

  private push(bytes: Buffer, etags: Map<WatchedView, string | undefined>): void {
    if (this.response.write(bytes)) {
      for (const [view, etag] of etags) this.holding.set(view, etag);
      return;
    }
    this.blocked = true;
    for (const [view, etag] of etags) this.unconfirmed.set(view, etag);
    this.response.once('drain', () => this.drained());
  }

  private drained(): void {
    this.blocked = false;
    for (const [view, etag] of this.unconfirmed) this.holding.set(view, etag);
    this.unconfirmed.clear();
    if (this.closed || this.pending.size === 0) return;
    const frames = [...this.pending];
    this.pending.clear();
    const written = new Map(frames.map(([view, frame]) => [view, frame.etag]));
    this.push(Buffer.concat(frames.map(([, frame]) => this.bytes(frame))), written);
  }
}
