import { enc, query } from '../api.js';
import { button, formatTime, h, json } from '../dom.js';
import { act, section, statusLine, type Page, type PageContext } from '../page.js';
import { may } from '../session.js';
import { pagedList, type CursorPage } from '../paged-list.js';

export interface DeadLetter {
  id: string;
  eventId?: string;
  reason: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  payload: string | null;
  payloadEncoding: 'utf8' | 'base64';
  createdAt: string;
  redrivenAt?: string;
  redriveCount: number;
}

/** The original message, pretty when it is JSON, as received otherwise. */
export function originalMessage(letter: DeadLetter): string {
  if (letter.payload === null) return '(no payload)';
  if (letter.payloadEncoding === 'base64') return `base64: ${letter.payload}`;
  try {
    return json(JSON.parse(letter.payload));
  } catch {
    return letter.payload;
  }
}

export function deadLettersPage({ session }: PageContext): Page {
  const { api } = session;
  const admin = may(session, 'admin');
  const list = h('div', {});
  // Outside the list, which is drawn anew after each action.
  const status = statusLine();

  const card = (letter: DeadLetter, refresh: () => void) => {
    return h(
      'article',
      { class: 'dead-letter', 'aria-label': `Dead letter ${letter.id}` },
      h('h3', {}, h('span', { class: 'reason' }, letter.reason)),
      h(
        'p',
        { class: 'muted' },
        `partition ${letter.originalPartition}, offset ${letter.originalOffset}, key ${letter.key ?? '—'}, ` +
          `received ${formatTime(letter.createdAt)}` +
          (letter.redriveCount
            ? `, redriven ${letter.redriveCount}× (last ${formatTime(letter.redrivenAt)})`
            : ''),
      ),
      h('details', {}, h('summary', {}, 'Original message'), h('pre', {}, originalMessage(letter))),
      h(
        'div',
        { class: 'actions' },
        button(
          'Redrive',
          () =>
            void act(
              status,
              async () => {
                await api.request(`/admin/dlq/${enc(letter.id)}/redrive`, { method: 'POST' });
                refresh();
              },
              'Sent back to the events topic.',
            ),
          admin,
          { 'aria-label': `Redrive dead letter ${letter.id}` },
        ),
        button(
          'Drop',
          () => {
            if (!confirm('Drop this dead letter for good?')) return;
            void act(
              status,
              async () => {
                await api.request(`/admin/dlq/${enc(letter.id)}`, { method: 'DELETE' });
                refresh();
              },
              'Dropped.',
            );
          },
          admin,
          { class: 'danger', 'aria-label': `Drop dead letter ${letter.id}` },
        ),
      ),
    );
  };

  const letters = pagedList(list, {
    fetch: (cursor) => api.get<CursorPage<DeadLetter>>(`/admin/dlq${query({ limit: 20, cursor })}`),
    render: (items, refresh) => items.map((letter) => card(letter, refresh)),
    empty: 'No dead letters. Every event could be read.',
    noMore: 'No more dead letters',
    actions: (refresh) => [button('Refresh', refresh)],
  });
  if (admin === true) void letters.show(0);
  else
    list.replaceChildren(
      h('p', { class: 'muted', title: admin }, 'Dead letters need an admin token.'),
    );
  return {
    title: 'Dead letters',
    element: h(
      'div',
      {},
      h('h1', {}, 'Dead letters'),
      section('What the worker could not read', status, list),
    ),
  };
}
