import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HEARTBEAT, httpChunk, type StreamShape, type ViewFrame } from './view-frame.js';

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
 *
 * After the headers, frames go straight to the socket as ready-made HTTP chunks (see
 * `ViewFrame.chunk`): `ServerResponse.write` would frame each one anew in four pieces and
 * hold them until the next tick, so the first watcher of a fan-out would get nothing
 * before the loop had handed the view to the last one.
 */
export class ViewStream implements ViewSubscriber {
  private blocked = false;
  private closed = false;
  private socket: Socket | null = null;
  /** Made the first time the socket is slow: most streams never need them. */
  private pending?: Map<WatchedView, ViewFrame>;
  /** Frames written while blocked: the reader holds them once the socket drains. */
  private unconfirmed?: Map<WatchedView, string | undefined>;
  private readonly holding = new Map<WatchedView, string | undefined>();

  constructor(
    private readonly response: ServerResponse,
    private readonly shape: StreamShape,
  ) {
    response.on('close', () => (this.closed = true));
  }

  /**
   * Starts the stream with the headers and one write: the retry hint, the initial frames
   * and a trailer (the `sync` marker), so nothing can come between them.
   */
  open(head: string, initial: [WatchedView, ViewFrame][], trailer = ''): void {
    if (!this.response.socket) {
      // Pipelined behind a response still being sent: the socket becomes this response's
      // when that one ends, and its buffered output leaves first.
      this.blocked = true;
      this.response.once('socket', () =>
        process.nextTick(() => {
          this.blocked = false;
          this.open(head, initial, trailer);
          if (!this.blocked) this.drained();
        }),
      );
      return;
    }
    this.socket = this.response.socket;
    const parts: Buffer[] = [httpChunk(head)];
    for (const [, frame] of initial) parts.push(frame.chunk(this.shape));
    if (trailer) parts.push(httpChunk(trailer));
    // The headers and the first chunks leave in one segment.
    this.socket.cork();
    this.response.flushHeaders();
    this.push(Buffer.concat(parts), initial);
    this.socket.uncork();
  }

  /** Marks a view as held without sending it (the reader named it in `Last-Event-ID`). */
  assume(view: WatchedView, etag: string | undefined): void {
    this.holding.set(view, etag);
  }

  deliver(view: WatchedView, frame: ViewFrame): void {
    if (this.closed) return;
    if (this.blocked) (this.pending ??= new Map()).set(view, frame);
    else if (this.write(frame.chunk(this.shape))) this.holding.set(view, frame.etag);
    else (this.unconfirmed ??= new Map()).set(view, frame.etag);
  }

  held(view: WatchedView): string | undefined {
    return this.holding.get(view);
  }

  /** A comment line, skipped while data is still waiting to drain (that is alive enough). */
  heartbeat(): void {
    if (!this.closed && !this.blocked) this.write(HEARTBEAT);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    if (!this.closed) this.response.end();
    this.closed = true;
  }

  /** Writes `bytes` now; false when the socket has not taken them all (then waits to drain). */
  private write(bytes: Buffer): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      this.closed = true;
      return false;
    }
    if (socket.write(bytes)) return true;
    this.blocked = true;
    socket.once('drain', () => this.drained());
    return false;
  }

  private push(bytes: Buffer, frames: Iterable<[WatchedView, ViewFrame]>): void {
    const written = this.write(bytes);
    for (const [view, frame] of frames) {
      if (written) this.holding.set(view, frame.etag);
      else (this.unconfirmed ??= new Map()).set(view, frame.etag);
    }
  }

  private drained(): void {
    this.blocked = false;
    if (this.unconfirmed) {
      for (const [view, etag] of this.unconfirmed) this.holding.set(view, etag);
      this.unconfirmed.clear();
    }
    if (this.closed || !this.pending?.size) return;
    const frames = [...this.pending];
    this.pending.clear();
    this.push(Buffer.concat(frames.map(([, frame]) => frame.chunk(this.shape))), frames);
  }
}
