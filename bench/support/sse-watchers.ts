import http from 'node:http';
import net from 'node:net';
import { SseParser } from '../../libs/client/src/sse-parser.js';

/** A parsed stream of one view, for the few watchers whose views the bench reads. */
export class ParsedWatcher {
  private readonly request: http.ClientRequest;

  private constructor(
    url: string,
    headers: Record<string, string>,
    onView: (data: string, at: number) => void,
    ready: (status: number) => void,
  ) {
    const parser = new SseParser((event) => {
      if (event.event === 'view') onView(event.data, performance.now());
    });
    this.request = http.get(
      url,
      { headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.push(chunk));
        ready(res.statusCode ?? 0);
      },
    );
    this.request.on('error', () => ready(0));
  }

  static open(
    url: string,
    headers: Record<string, string>,
    onView: (data: string, at: number) => void,
  ): Promise<ParsedWatcher> {
    return new Promise((resolve, reject) => {
      const watcher: ParsedWatcher = new ParsedWatcher(url, headers, onView, (status) =>
        status === 200 ? resolve(watcher) : reject(new Error(`stream answered ${status}`)),
      );
    });
  }

  close(): void {
    this.request.destroy();
  }
}

const VIEW = Buffer.from('event: view\n');

/**
 * Many streams of one view on raw sockets, for the fan-out figure: per socket, no HTTP
 * parser, no decoding, no SSE parser, only a count of `event: view` markers in the bytes
 * and the time the latest one arrived. That keeps the load generator's own cost per
 * delivered event to a buffer search, so that 10,000 of them measure the server.
 */
export class CountingWatchers {
  readonly sockets: net.Socket[] = [];
  /** Per socket: views received, and performance.now() when the latest arrived. */
  readonly views: Uint32Array;
  readonly lastViewAt: Float64Array;
  private statusSeen = 0;
  private refused = 0;

  constructor(readonly count: number) {
    this.views = new Uint32Array(count);
    this.lastViewAt = new Float64Array(count);
  }

  /** Opens every stream, `concurrency` handshakes at a time; resolves once each has its first view. */
  async open(
    port: number,
    path: string,
    authorization: string,
    concurrency = 200,
    timeoutMs = 120_000,
  ): Promise<void> {
    const request = Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${authorization}\r\n` +
        'Accept: text/event-stream\r\n\r\n',
    );
    let next = 0;
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < this.count) {
          const i = next++;
          await this.connect(i, port, request);
          if (Date.now() > deadline) throw new Error(`only ${i} of ${this.count} streams opened`);
        }
      }),
    );
    if (this.refused > 0) throw new Error(`${this.refused} streams were refused`);
  }

  /** How many sockets have received at least `views` views. */
  holding(views: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.views[i] >= views) n++;
    return n;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private connect(i: number, port: number, request: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      this.sockets.push(socket);
      let tail: Buffer | undefined;
      let first = true;
      socket.on('data', (chunk: Buffer) => {
        const at = performance.now();
        if (first) {
          first = false;
          this.statusSeen++;
          // "HTTP/1.1 200": the status code is at bytes 9–11.
          if (chunk.toString('latin1', 9, 12) !== '200') {
            this.refused++;
            socket.destroy();
            resolve();
            return;
          }
        }
        let found = 0;
        for (let at = chunk.indexOf(VIEW); at >= 0; at = chunk.indexOf(VIEW, at + VIEW.length))
          found++;
        // A marker split between two reads.
        if (tail && Buffer.concat([tail, chunk.subarray(0, VIEW.length - 1)]).includes(VIEW))
          found++;
        tail = chunk.subarray(Math.max(0, chunk.length - (VIEW.length - 1)));
        if (found > 0) {
          this.views[i] += found;
          this.lastViewAt[i] = at;
          if (this.views[i] === found) resolve();
        }
      });
      socket.on('error', reject);
      socket.write(request);
    });
  }
}
