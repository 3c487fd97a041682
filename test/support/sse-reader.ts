import http from 'node:http';
import { SseParser, type ServerSentEvent } from '../../libs/client/src/sse-parser.js';

/** A raw SSE connection for tests: every event it received, and a way to stop reading. */
export class SseReader {
  readonly events: ServerSentEvent[] = [];
  heartbeats = 0;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  body = '';
  ended = false;
  private response?: http.IncomingMessage;
  private readonly request: http.ClientRequest;

  private constructor(url: string, headers: Record<string, string>, ready: () => void) {
    const parser = new SseParser(
      (event) => this.events.push(event),
      () => this.heartbeats++,
    );
    this.request = http.get(
      url,
      { headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        this.response = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        const isStream = /text\/event-stream/.test(String(res.headers['content-type']));
        res.on('data', (chunk: string) => (isStream ? parser.push(chunk) : (this.body += chunk)));
        res.on('end', () => (this.ended = true));
        res.on('close', () => (this.ended = true));
        ready();
      },
    );
    this.request.on('error', () => {
      this.ended = true;
      ready();
    });
  }

  /** Opens a stream; resolves once the status line and headers arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve) => {
      const reader: SseReader = new SseReader(url, headers, () => resolve(reader));
    });
  }

  /** The events of one kind, their data parsed as JSON. */
  of<T = any>(kind: string): T[] {
    return this.events.filter((e) => e.event === kind).map((e) => JSON.parse(e.data) as T);
  }

  /** Stops reading from the socket: the server's writes pile up in the kernel buffers. */
  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  close(): void {
    this.request.destroy();
  }
}
