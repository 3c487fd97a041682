/**
 * One state of one effective view, encoded once per change and written as the same
 * bytes to every watcher: `single` for a stream of one view, `multi` for `/v1/watch`.
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

  get single(): Buffer {
    this.singleBytes ??= Buffer.from(
      this.json === undefined
        ? `event: absent\ndata: {"slug":${JSON.stringify(this.slug)}}\n\n`
        : `id: ${this.eventId}\nevent: view\ndata: ${this.json}\n\n`,
    );
    return this.singleBytes;
  }

  get multi(): Buffer {
    const where = `"slug":${JSON.stringify(this.slug)},"env":${JSON.stringify(this.env)}`;
    this.multiBytes ??= Buffer.from(
      this.json === undefined
        ? `event: absent\ndata: {${where}}\n\n`
        : `event: view\ndata: {${where},"etag":${JSON.stringify(this.etag)},"view":${this.json}}\n\n`,
    );
    return this.multiBytes;
  }
}

/** The `event: sync` that ends the initial views of `/v1/watch`. */
export const SYNC_FRAME = 'event: sync\ndata: {}\n\n';
/** A comment line: keeps proxies from closing an idle stream and lets clients see it is alive. */
export const HEARTBEAT = Buffer.from(': heartbeat\n\n');

export function retryHint(ms: number): string {
  return `retry: ${ms}\n\n`;
}
