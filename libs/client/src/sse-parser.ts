/** One Server-Sent Event as the HTML standard's parser dispatches it. */
export interface ServerSentEvent {
  event: string;
  data: string;
  /** The last `id:` seen on the stream so far (what `Last-Event-ID` sends back). */
  id?: string;
  /** The `retry:` hint in milliseconds, when this event carried one. */
  retry?: number;
}

/**
 * Incremental SSE parser: feed it text chunks as they arrive, it calls `onEvent` for
 * every complete event. Comment lines (heartbeats) call `onComment`.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId?: string;
  private retry?: number;

  constructor(
    private readonly onEvent: (event: ServerSentEvent) => void,
    private readonly onComment: () => void = () => undefined,
  ) {}

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  get retryMs(): number | undefined {
    return this.retry;
  }

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const end = this.lineEnd(start);
      if (end < 0) break;
      const line = this.buffer.slice(start, end);
      start = end + (this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1);
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private lineEnd(from: number): number {
    for (let i = from; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c === '\n') return i;
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (c === '\r') return i + 1 < this.buffer.length ? i : -1;
    }
    return -1;
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.onComment();
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.event = '';
      return;
    }
    const event: ServerSentEvent = {
      event: this.event || 'message',
      data: this.data.join('\n'),
      id: this.lastId,
      retry: this.retry,
    };
    this.data = [];
    this.event = '';
    this.onEvent(event);
  }
}
