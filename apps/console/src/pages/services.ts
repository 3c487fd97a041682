import { enc, query } from '../api.js';
import { h, input, select } from '../dom.js';
import { FieldErrors } from '../form.js';
import { act, section, statusLine, table, type Page, type PageContext } from '../page.js';
import { navigate, serviceUrl, setQuery } from '../router.js';
import { may } from '../session.js';
import { pagedList, type CursorPage } from '../paged-list.js';

export interface ServiceSummary {
  slug: string;
  name: string;
  owner: string;
  tier: number;
  lifecycle: string;
  tags?: string[];
  description?: string;
  version?: number;
}

export const LIFECYCLES = ['experimental', 'production', 'deprecated', 'retired'];
const TIERS: Array<[string, string]> = [
  ['', 'Any tier'],
  ['0', '0'],
  ['1', '1'],
  ['2', '2'],
  ['3', '3'],
];
const PAGE_SIZE = 20;

export function servicesPage({ session, query: params }: PageContext): Page {
  const { api } = session;
  const filters = {
    q: input({ type: 'search', value: params.get('q') ?? '', name: 'q' }),
    owner: input({ value: params.get('owner') ?? '', name: 'owner' }),
    tier: select(TIERS, params.get('tier') ?? '', { name: 'tier' }),
    lifecycle: select(
      [['', 'Any lifecycle'], ...LIFECYCLES.map((l): [string, string] => [l, l])],
      params.get('lifecycle') ?? '',
      { name: 'lifecycle' },
    ),
    tag: input({ value: params.get('tag') ?? '', name: 'tag' }),
  };
  const labels = { q: 'Search', owner: 'Owner', tier: 'Tier', lifecycle: 'Lifecycle', tag: 'Tag' };
  const results = h('div', { class: 'results' });

  const current = () => ({
    q: filters.q.value.trim(),
    owner: filters.owner.value.trim(),
    tier: filters.tier.value,
    lifecycle: filters.lifecycle.value,
    tag: filters.tag.value.trim(),
  });

  const list = pagedList(results, {
    fetch: (cursor) =>
      api.get<CursorPage<ServiceSummary>>(
        `/v1/services${query({ ...current(), limit: PAGE_SIZE, cursor })}`,
      ),
    render: (items) =>
      table(
        ['Slug', 'Name', 'Owner', 'Tier', 'Lifecycle', 'Tags'],
        items.map((s) => [
          h('a', { href: serviceUrl(s.slug) }, s.slug),
          s.name,
          s.owner,
          String(s.tier),
          s.lifecycle,
          (s.tags ?? []).join(', '),
        ]),
        'Services',
      ),
    empty: 'No service matches these filters.',
    noMore: 'No more services',
    numbered: true,
  });

  const filterForm = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter services' },
    Object.entries(filters).map(([name, control]) => {
      control.id = `filter-${name}`;
      return h(
        'div',
        { class: 'field' },
        h('label', { for: control.id }, labels[name as keyof typeof labels]),
        control,
      );
    }),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    setQuery(current());
    void list.restart();
  });

  void list.show(0);
  return {
    title: 'Services',
    element: h(
      'div',
      {},
      h('h1', {}, 'Services'),
      section('Find a service', filterForm, results),
      registerForm(session, () => void list.show(0)),
    ),
  };
}

function registerForm(session: PageContext['session'], _refresh: () => void): HTMLElement {
  const errors = new FieldErrors();
  const allowed = may(session, 'writer');
  const controls = {
    slug: input({ required: true, pattern: '[a-z][a-z0-9-]{1,62}', autocomplete: 'off' }),
    name: input({ required: true }),
    owner: input({ required: true }),
    tier: select(
      [
        ['0', '0'],
        ['1', '1'],
        ['2', '2'],
        ['3', '3'],
      ],
      '2',
    ),
    lifecycle: select(
      LIFECYCLES.map((l): [string, string] => [l, l]),
      'experimental',
    ),
    tags: input({ placeholder: 'comma, separated' }),
    description: h('textarea', { rows: 2 }),
  };
  const status = statusLine();
  const submit = h('button', { type: 'submit' }, 'Register service');
  if (allowed !== true) {
    submit.disabled = true;
    submit.title = allowed;
  }
  const form = h(
    'form',
    { class: 'register', 'aria-label': 'Register a service' },
    errors.field('slug', 'Slug', controls.slug),
    errors.field('name', 'Name', controls.name),
    errors.field('owner', 'Owner (team)', controls.owner),
    errors.field('tier', 'Tier', controls.tier),
    errors.field('lifecycle', 'Lifecycle', controls.lifecycle),
    errors.field('tags', 'Tags', controls.tags),
    errors.field('description', 'Description', controls.description),
    submit,
    errors.summary,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    const body = {
      slug: controls.slug.value.trim(),
      name: controls.name.value.trim(),
      owner: controls.owner.value.trim(),
      tier: Number(controls.tier.value),
      lifecycle: controls.lifecycle.value,
      tags: controls.tags.value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      ...(controls.description.value.trim()
        ? { description: controls.description.value.trim() }
        : {}),
    };
    void act(
      status,
      async () => {
        try {
          await session.api.write('POST', '/v1/services', body);
        } catch (error) {
          errors.show(error);
          throw error;
        }
        navigate(serviceUrl(body.slug));
      },
      `Registered ${body.slug}.`,
    );
  });
  return section('Register a service', form);
}

export function serviceLink(slug: string): string {
  return `/v1/services/${enc(slug)}`;
}
