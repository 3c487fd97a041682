import { query } from '../api.js';
import { formatTime, h, input } from '../dom.js';
import { diffView } from '../diff.js';
import { section, type Page, type PageContext } from '../page.js';
import { setQuery } from '../router.js';
import { pagedList, type CursorPage } from '../paged-list.js';

export interface AuditEntry {
  eventId?: string;
  id?: string;
  type: string;
  aggregate: string;
  actor: string;
  source?: string;
  occurredAt?: string;
  appliedAt?: string;
  at?: string;
  reason?: string;
  before?: unknown;
  after?: unknown;
}

const FILTERS = [
  ['aggregate', 'Aggregate', 'service:checkout'],
  ['actor', 'Actor', ''],
  ['type', 'Event type', 'config.set'],
  ['since', 'Since (ISO time)', '2026-12-01T00:00:00Z'],
  ['until', 'Until (ISO time)', ''],
] as const;

export function auditEntry(entry: AuditEntry): HTMLElement {
  const when = entry.appliedAt ?? entry.at ?? entry.occurredAt;
  return h(
    'details',
    { class: 'audit-entry' },
    h(
      'summary',
      {},
      h('span', { class: 'time' }, formatTime(when)),
      ' ',
      h('strong', {}, entry.type),
      ' on ',
      h('code', {}, entry.aggregate),
      ' by ',
      entry.actor,
      entry.source ? ` (${entry.source})` : '',
      entry.reason ? ` — “${entry.reason}”` : '',
    ),
    diffView(
      entry.before ?? undefined,
      entry.after ?? undefined,
      `Before and after of ${entry.type}`,
    ),
  );
}

export function auditPage({ session, query: params }: PageContext): Page {
  const controls = Object.fromEntries(
    FILTERS.map(([name, , placeholder]) => {
      const control = input({ name, placeholder, value: params.get(name) ?? '' });
      control.id = `audit-${name}`;
      return [name, control];
    }),
  ) as Record<(typeof FILTERS)[number][0], HTMLInputElement>;
  const results = h('div', {});
  const values = () =>
    Object.fromEntries(
      Object.entries(controls).map(([name, control]) => [name, control.value.trim()]),
    );
  const entries = pagedList(results, {
    fetch: (cursor) =>
      session.api.get<CursorPage<AuditEntry>>(
        `/v1/audit${query({ ...values(), limit: 25, cursor })}`,
      ),
    render: (items) => h('div', { class: 'audit-list' }, items.map(auditEntry)),
    empty: 'No applied change matches these filters.',
    noMore: 'No more entries',
    numbered: true,
  });

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the audit' },
    FILTERS.map(([name, label]) =>
      h('div', { class: 'field' }, h('label', { for: controls[name].id }, label), controls[name]),
    ),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setQuery(values());
    void entries.restart();
  });
  void entries.show(0);
  return {
    title: 'Audit',
    element: h(
      'div',
      {},
      h('h1', {}, 'Audit'),
      section('Applied changes, newest first', form, results),
    ),
  };
}
