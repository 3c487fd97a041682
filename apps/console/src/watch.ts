import { ApiError, enc, type WardenApi } from './api.js';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  retry?: number;
}

/** Server-sent events parsed from a byte stream (the WHATWG event-stream format). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id?: string;
  private retry?: number;

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length > 0) {
          out.push({
            event: this.event || 'message',
            id: this.id,
            data: this.data.join('\n'),
            retry: this.retry,
          });
        }
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') this.event = value;
      else if (name === 'data') this.data.push(value);
      else if (name === 'id') this.id = value;
      else if (name === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

export type WatchState = 'connecting' | 'live' | 'polling' | 'reconnecting';

export interface WatchHandlers {
  onView: (view: unknown, etag: string | undefined) => void;
  onAbsent: () => void;
  onState: (state: WatchState, detail?: string) => void;
}

const POLL_MS = 2000;

/**
 * Follows one effective view. EventSource cannot send an Authorization header, so the
 * stream is read with fetch. Should the API answer plain JSON (no stream), the view is
 * polled with If-None-Match instead; either way the page updates without a reload.
 */
export function watchEffective(
  api: WardenApi,
  slug: string,
  env: string,
  handlers: WatchHandlers,
): { close(): void } {
  const controller = new AbortController();
  const path = `/v1/services/${enc(slug)}/effective?env=${enc(env)}`;
  let lastId: string | undefined;
  let retryMs = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const later = (run: () => void, ms: number) => {
    if (!controller.signal.aborted) timer = setTimeout(run, ms);
  };

  const stream = async (): Promise<void> => {
    handlers.onState(lastId ? 'reconnecting' : 'connecting');
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastId) headers['last-event-id'] = lastId;
    const response = await api.raw(path, { headers, signal: controller.signal });
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !response.body) {
      handlers.onView(await response.json(), response.headers.get('etag') ?? undefined);
      handlers.onState('polling');
      later(() => void poll(response.headers.get('etag') ?? undefined), POLL_MS);
      return;
    }
    handlers.onState('live');
    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.feed(value)) {
        if (message.retry) retryMs = message.retry;
        if (message.event === 'view') {
          lastId = message.id;
          handlers.onView(JSON.parse(message.data), message.id ? `"${message.id}"` : undefined);
        } else if (message.event === 'absent') handlers.onAbsent();
      }
    }
    later(run, retryMs);
  };

  const poll = async (etag: string | undefined): Promise<void> => {
    try {
      const headers: Record<string, string> = etag ? { 'if-none-match': etag } : {};
      const response = await api.raw(path, { headers, signal: controller.signal });
      let next = etag;
      if (response.status === 200) {
        next = response.headers.get('etag') ?? undefined;
        handlers.onView(await response.json(), next);
      }
      later(() => void poll(next), POLL_MS);
    } catch (error) {
      failed(error, () => void poll(etag));
    }
  };

  const failed = (error: unknown, again: () => void) => {
    if (controller.signal.aborted) return;
    if (error instanceof ApiError && error.status === 404) handlers.onAbsent();
    handlers.onState('reconnecting', String((error as Error)?.message ?? error));
    later(again, Math.max(retryMs, POLL_MS));
  };

  const run = () => {
    stream().catch((error: unknown) => failed(error, run));
  };
  run();
  return {
    close() {
      controller.abort();
      clearTimeout(timer);
    },
  };
}
