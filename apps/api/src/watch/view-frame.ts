/** The shape of a stream: one view (`…/effective`), or many (`/v1/watch`). */
export type StreamShape = 'single' | 'multi';

/**
 * One state of one effective view, encoded once per change and written as the same
 * bytes to every watcher: `single` for a stream of one view, `multi` for `/v1/watch`.
 * The bytes are already a chunk of the chunked HTTP/1.1 body, so that a stream writes
 * them on its socket as they are, one buffer and one system call per watcher.
 */
export class ViewFrame {
  private singleBytes?: Buffer;
  private multiBytes?: Buffer;

  private constructor(
    readonly slug: string,
    readonly env: string,
    /** The ETag as HTTP sends it (quoted); undefined while the service does not exist. */
    readonly etag: string | undefined,
    /** The effective view's JSON, as the read model serialised it. */
    readonly json: string | undefined,
  ) {}

  static view(slug: string, env: string, etag: string, json: string): ViewFrame {
    return new ViewFrame(slug, env, etag, json);
  }

  static absent(slug: string, env: string): ViewFrame {
    return new ViewFrame(slug, env, undefined, undefined);
  }

  /** The SSE `id` of a view: its ETag without the quotes (what `Last-Event-ID` sends back). */
  get eventId(): string | undefined {
    return this.etag?.replace(/^W\//, '').replace(/"/g, '');
  }

  /** The SSE event for a stream of `shape`, framed as one HTTP chunk. */
  chunk(shape: StreamShape): Buffer {
    return shape === 'single'
      ? (this.singleBytes ??= httpChunk(this.singleEvent()))
      : (this.multiBytes ??= httpChunk(this.multiEvent()));
  }

  /** The SSE event alone (the start of a stream writes it through the response). */
  event(shape: StreamShape): string {
    return shape === 'single' ? this.singleEvent() : this.multiEvent();
  }

  private singleEvent(): string {
    return this.json === undefined
      ? `event: absent\ndata: {"slug":${JSON.stringify(this.slug)}}\n\n`
      : `id: ${this.eventId}\nevent: view\ndata: ${this.json}\n\n`;
  }

  private multiEvent(): string {
    const where = `"slug":${JSON.stringify(this.slug)},"env":${JSON.stringify(this.env)}`;
    return this.json === undefined
      ? `event: absent\ndata: {${where}}\n\n`
      : `event: view\ndata: {${where},"etag":${JSON.stringify(this.etag)},"view":${this.json}}\n\n`;
  }
}

/**
 * `text` as one chunk of a `Transfer-Encoding: chunked` body: its size in hex, CRLF, the
 * bytes, CRLF. Chunks written one after the other are a valid body, whatever their number.
 */
export function httpChunk(text: string): Buffer {
  const size = Buffer.byteLength(text);
  const head = `${size.toString(16)}\r\n`;
  const bytes = Buffer.allocUnsafeSlow(head.length + size + 2);
  bytes.write(head, 0, 'latin1');
  bytes.write(text, head.length, 'utf8');
  bytes.write('\r\n', head.length + size, 'latin1');
  return bytes;
}

/** The `event: sync` that ends the initial views of `/v1/watch`. */
export const SYNC_FRAME = 'event: sync\ndata: {}\n\n';
/** A comment line: keeps proxies from closing an idle stream and lets clients see it is alive. */
export const HEARTBEAT = httpChunk(': heartbeat\n\n');

export function retryHint(ms: number): string {
  return `retry: ${ms}\n\n`;
}
