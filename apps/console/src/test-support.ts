/** A stand-in for the API in component tests: answers by method and path. */
export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
export type Routes = Record<string, Answer | ((init?: RequestInit) => Answer)>;

export function fakeApi(routes: Routes) {
  const calls: Array<{
    method: string;
    path: string;
    body?: unknown;
    headers: Record<string, string>;
  }> = [];
  const fetcher = async (input: string, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const path = input.replace(/^https?:\/\/[^/]+/, '');
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({
      method,
      path,
      body: init?.body ? JSON.parse(init.body as string) : undefined,
      headers,
    });
    const found = routes[`${method} ${path}`] ?? routes[`${method} ${path.split('?')[0]}`];
    const answer = typeof found === 'function' ? found(init) : found;
    if (!answer)
      return json({
        status: 404,
        body: { status: 404, title: 'Not Found', detail: `no route ${method} ${path}` },
      });
    return json(answer);
  };
  return { fetcher, calls };
}

function json(answer: Answer): Response {
  const problem = answer.status >= 400;
  return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
    status: answer.status,
    headers: {
      'content-type': problem ? 'application/problem+json' : 'application/json',
      ...answer.headers,
    },
  });
}

export const forbidden: Answer = {
  status: 403,
  body: { status: 403, title: 'Forbidden', detail: 'needs a stronger role' },
};

/** Waits for the page to settle on a condition (the UI loads asynchronously). */
export async function until<T>(
  check: () => T | undefined | null | false,
  timeoutMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in the page');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function byLabel(root: ParentNode, text: string): HTMLElement {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent === text);
  const control = label && root.querySelector<HTMLElement>(`#${CSS.escape(label.htmlFor)}`);
  if (!control) throw new Error(`no control labelled ${text}`);
  return control;
}

export function buttonNamed(root: ParentNode, text: string): HTMLButtonElement | undefined {
  return [...root.querySelectorAll('button')].find((b) => b.textContent === text);
}
