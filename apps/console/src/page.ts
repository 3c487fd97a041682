import { describeError } from './api.js';
import { h, replace, type Child } from './dom.js';
import type { Route } from './router.js';
import type { Session } from './session.js';

export interface PageContext {
  session: Session;
  route: Route;
  query: URLSearchParams;
}

export interface Page {
  title: string;
  element: HTMLElement;
  /** Stops what the page keeps running (watch streams, timers) when it is left. */
  dispose?: () => void;
}

/** An area that loads, then shows its content or what went wrong, in words. */
export async function load(target: HTMLElement, work: () => Promise<Child>): Promise<void> {
  target.setAttribute('aria-busy', 'true');
  if (!target.hasChildNodes()) replace(target, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const content = await work();
    replace(target, content);
  } catch (error) {
    replace(target, errorMessage(error));
  } finally {
    target.removeAttribute('aria-busy');
  }
}

export function errorMessage(error: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, describeError(error));
}

/** Where the outcome of an action is announced (polite live region). */
export function statusLine(): HTMLElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export async function act(
  status: HTMLElement,
  work: () => Promise<unknown>,
  done: string,
): Promise<boolean> {
  status.className = 'status';
  status.textContent = 'Working…';
  try {
    await work();
    status.textContent = done;
    return true;
  } catch (error) {
    status.className = 'status error';
    status.textContent = describeError(error);
    return false;
  }
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((text) => h('th', { scope: 'col' }, text)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell) => h('td', {}, cell)),
          ),
        ),
      ),
    ),
  );
}
