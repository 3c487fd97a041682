import { enc, isMissingRoute, query } from '../api.js';
import { button, formatTime, h, input, json, replace, select } from '../dom.js';
import { diffView } from '../diff.js';
import { FieldErrors, parseJsonInput } from '../form.js';
import { act, load, section, statusLine, table, type Page, type PageContext } from '../page.js';
import { may } from '../session.js';
import { changeBuilder } from './change-builder.js';
import { pagedList, type CursorPage } from '../paged-list.js';

export interface ChangeRequest {
  id: string;
  title: string;
  reason?: string;
  status: string;
  requiredApprovals: number;
  approvals: Array<{ actor?: string; by?: string; comment?: string } | string>;
  changes: Array<{ type: string; data: unknown; expectedVersion?: number }>;
  author: string;
  createdAt: string;
  applyAt?: string;
  /** Why applying it failed (status `failed`): nothing of it was applied. */
  failureReason?: string;
  appliedAt?: string;
}

const STATUSES = ['pending', 'approved', 'applied', 'rejected', 'cancelled', 'failed'];
type Session = PageContext['session'];

export function changeRequestsPage({ session, query: params }: PageContext): Page {
  const list = h('div', {});
  const detail = h('div', { class: 'cr-detail' });
  const status = select(
    [['', 'Any status'], ...STATUSES.map((s): [string, string] => [s, s])],
    params.get('status') ?? 'pending',
  );
  status.id = 'cr-status';
  const service = input({ value: params.get('service') ?? '' });
  service.id = 'cr-service';

  const requests = pagedList(list, {
    fetch: (cursor) =>
      session.api
        .get<CursorPage<ChangeRequest>>(
          `/v1/change-requests${query({ status: status.value, service: service.value.trim(), limit: 20, cursor })}`,
        )
        .catch((error: unknown) => {
          // An API without the change-request feature has no such route.
          if (isMissingRoute(error)) return undefined;
          throw error;
        }),
    render: (items, refresh) =>
      table(
        ['Title', 'Status', 'Approvals', 'Author', 'Created', 'Apply at', ''],
        items.map((cr) => [
          cr.title,
          h('span', { class: `cr-status cr-${cr.status}` }, cr.status),
          `${cr.approvals.length} of ${cr.requiredApprovals}`,
          cr.author,
          formatTime(cr.createdAt),
          formatTime(cr.applyAt) || '—',
          button('Open', () => void openRequest(session, cr.id, detail, refresh), true, {
            'aria-label': `Open change request ${cr.title}`,
          }),
        ]),
        'Change requests',
      ),
    empty: 'No change request matches.',
    noMore: 'No more change requests',
    unavailable: 'This API does not offer change requests yet.',
  });

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter change requests' },
    h('div', { class: 'field' }, h('label', { for: status.id }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: service.id }, 'Service'), service),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void requests.restart();
  });
  void requests.show(0);
  const created = (id: string) => {
    status.value = '';
    void requests.restart();
    void openRequest(session, id, detail, () => void requests.show(0));
  };
  return {
    title: 'Change requests',
    element: h(
      'div',
      {},
      h('h1', {}, 'Change requests'),
      section('Requests', filters, list),
      detail,
      createForm(session, created),
    ),
  };
}

async function openRequest(
  session: Session,
  id: string,
  target: HTMLElement,
  changed: () => void,
  outcome = '',
): Promise<void> {
  const { api } = session;
  await load(target, async () => {
    const [cr, diff] = await Promise.all([
      api.get<ChangeRequest>(`/v1/change-requests/${enc(id)}`),
      api
        .get<Array<{ slug: string; env: string; before: unknown; after: unknown }>>(
          `/v1/change-requests/${enc(id)}/diff`,
        )
        .catch(() => []),
    ]);
    const comment = input();
    comment.id = `cr-comment-${id}`;
    const status = statusLine();
    status.textContent = outcome;
    const writer = may(session, 'writer');
    const decide = (verb: 'approve' | 'reject' | 'cancel' | 'apply', done: string) =>
      button(
        verb.charAt(0).toUpperCase() + verb.slice(1),
        () =>
          void act(
            status,
            async () => {
              const text = comment.value.trim();
              await api.request(`/v1/change-requests/${enc(id)}/${verb}`, {
                method: 'POST',
                body: text ? { comment: text } : {},
              });
              changed();
              await openRequest(session, id, target, changed, done);
            },
            done,
          ),
        cr.status === 'pending' ||
          (verb === 'apply' && cr.status === 'approved') ||
          (verb === 'cancel' && cr.status === 'approved')
          ? writer
          : `Not possible: the request is ${cr.status}`,
      );
    return section(
      `Change request: ${cr.title}`,
      h(
        'p',
        {},
        `Status `,
        h('strong', { class: `cr-status cr-${cr.status}` }, cr.status),
        ` · by ${cr.author} · ${cr.approvals.length} of ${cr.requiredApprovals} approvals`,
        cr.applyAt ? ` · scheduled for ${formatTime(cr.applyAt)}` : '',
      ),
      cr.reason ? h('p', {}, `Reason: ${cr.reason}`) : null,
      cr.failureReason ? h('p', { class: 'error' }, `Failed: ${cr.failureReason}`) : null,
      h(
        'details',
        {},
        h('summary', {}, `${cr.changes.length} changes`),
        h('pre', {}, json(cr.changes)),
      ),
      diff.length
        ? diff.map((d) => [
            h('h3', {}, `${d.slug} in ${d.env}`),
            diffView(d.before, d.after, `Effective view of ${d.slug} in ${d.env}`),
          ])
        : h(
            'p',
            { class: 'muted' },
            cr.status === 'applied'
              ? `Applied ${formatTime(cr.appliedAt)}: what it changed is in the audit.`
              : 'No difference to show.',
          ),
      h('div', { class: 'inline' }, h('label', { for: comment.id }, 'Comment'), comment),
      h(
        'div',
        { class: 'actions' },
        decide('approve', 'Approved.'),
        decide('reject', 'Rejected.'),
        decide('apply', 'Applied.'),
        decide('cancel', 'Cancelled.'),
      ),
      status,
    );
  });
  target.querySelector('h2')?.setAttribute('tabindex', '-1');
  target.querySelector<HTMLElement>('h2')?.focus();
}

function createForm(session: Session, created: (id: string) => void): HTMLElement {
  const errors = new FieldErrors();
  const title = input({ required: true });
  const reason = input({ required: true });
  const changes = h('textarea', { rows: 6, spellcheck: 'false' });
  changes.value = '[]';
  const applyAt = input({ type: 'datetime-local' });
  const status = statusLine();
  const submit = h('button', { type: 'submit' }, 'Create change request');
  const allowed = may(session, 'writer');
  if (allowed !== true) {
    submit.disabled = true;
    submit.title = allowed;
  }
  const builder = changeBuilder((change) => {
    const parsed = parseJsonInput(changes.value);
    const list = parsed.ok && Array.isArray(parsed.value) ? parsed.value : [];
    changes.value = json([...list, change]);
  });
  const form = h(
    'form',
    { 'aria-label': 'Create a change request' },
    errors.field('title', 'Title', title),
    errors.field('reason', 'Reason', reason),
    errors.field('changes', 'Changes (JSON: [{ type, data }])', changes),
    errors.field('applyAt', 'Apply at (optional: schedules it)', applyAt),
    submit,
    errors.summary,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = parseJsonInput(changes.value);
    if (!parsed.ok) {
      errors.show(new Error(parsed.message));
      return;
    }
    errors.clear();
    const body = {
      title: title.value.trim(),
      reason: reason.value.trim(),
      changes: parsed.value,
      ...(applyAt.value ? { applyAt: new Date(applyAt.value).toISOString() } : {}),
    };
    void act(
      status,
      async () => {
        try {
          const cr = await session.api.request<ChangeRequest>('/v1/change-requests', {
            method: 'POST',
            body,
          });
          created(cr.id);
          replace(status, `Created ${cr.id}.`);
        } catch (error) {
          errors.show(error);
          throw error;
        }
      },
      'Created.',
    );
  });
  return section(
    'Create a change request',
    h('p', {}, 'Add edits below, then create the request from them.'),
    builder,
    form,
  );
}
