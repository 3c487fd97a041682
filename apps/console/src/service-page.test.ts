import { afterEach, describe, expect, it } from 'vitest';
import { WardenApi } from './api.js';
import { servicePage } from './pages/service.js';
import { fakeApi, until, type Routes } from './test-support.js';

const service = {
  slug: 'checkout',
  name: 'Checkout',
  owner: 'payments',
  tier: 1,
  lifecycle: 'production',
  tags: [],
  version: 1,
};
const view = (limit: number) => ({
  service,
  policies: { quota: { limit, period: 'day' } },
  config: {},
  version: limit,
});

/** A watch stream the test writes events into, as the API would. */
function eventStream() {
  let push: (text: string) => void = () => undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      push = (text) => controller.enqueue(encoder.encode(text));
    },
  });
  return { body, send: (text: string) => push(text) };
}

describe('a service page', () => {
  let dispose: (() => void) | undefined;
  afterEach(() => dispose?.());

  it('follows the watch stream: a new view replaces the old one without a reload', async () => {
    const stream = eventStream();
    const routes: Routes = {
      'GET /v1/services/checkout': { status: 200, body: service },
      'GET /v1/services/checkout/policies': { status: 200, body: { items: [] } },
      'GET /v1/policies': { status: 200, body: { items: [] } },
      'GET /v1/services/checkout/config/prod': { status: 200, body: { items: [] } },
      'GET /v1/services/checkout/effective/delivery': {
        status: 200,
        body: { etag: '"e1"', version: 1, watchers: 2, current: 1, behind: 1, instances: [] },
      },
    };
    const api = fakeApi(routes);
    const fetcher = async (input: string, init?: RequestInit) => {
      const accept = (init?.headers as Record<string, string> | undefined)?.accept;
      if (accept === 'text/event-stream') {
        return new Response(stream.body, {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
        });
      }
      return api.fetcher(input, init);
    };
    const page = servicePage(
      {
        session: { api: new WardenApi('dev-reader', fetcher), role: 'reader' },
        route: { name: 'service', slug: 'checkout' },
        query: new URLSearchParams('env=prod'),
      },
      'checkout',
    );
    dispose = page.dispose;
    document.body.replaceChildren(page.element);
    const effective = page.element.querySelector('[aria-label="Effective view"]')!;
    stream.send(`retry: 1000\nevent: view\nid: e5\ndata: ${JSON.stringify(view(5))}\n\n`);
    await until(() => effective.textContent?.includes('"limit": 5'));
    stream.send(`: heartbeat\n\nevent: view\nid: e9\ndata: ${JSON.stringify(view(9))}\n\n`);
    await until(() => effective.textContent?.includes('"limit": 9'));
    expect(page.element.textContent).toContain('Live: changes appear as they are applied.');
    await until(() => page.element.textContent?.includes('Held by 1 of 2 watchers (1 behind)'));
    // A reader sees the write controls, greyed out.
    const setPolicy = [...page.element.querySelectorAll('button')].find(
      (b) => b.textContent === 'Set policy',
    );
    expect(setPolicy?.disabled).toBe(true);
  });
});
