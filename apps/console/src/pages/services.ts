import { enc, query } from '../api.js';
import { button, h, input, select } from '../dom.js';
import { FieldErrors } from '../form.js';
import { act, load, section, statusLine, table, type Page, type PageContext } from '../page.js';
import { navigate, serviceUrl, setQuery } from '../router.js';
import { may } from '../session.js';

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
  const cursors: Array<string | undefined> = [undefined];

  const current = () => ({
    q: filters.q.value.trim(),
    owner: filters.owner.value.trim(),
    tier: filters.tier.value,
    lifecycle: filters.lifecycle.value,
    tag: filters.tag.value.trim(),
  });

  const show = (pageIndex: number) =>
    load(results, async () => {
      const page = await api.get<{ items: ServiceSummary[]; nextCursor?: string | null }>(
        `/v1/services${query({ ...current(), limit: PAGE_SIZE, cursor: cursors[pageIndex] })}`,
      );
      cursors[pageIndex + 1] = page.nextCursor ?? undefined;
      const rows = page.items.map((s) => [
        h('a', { href: serviceUrl(s.slug) }, s.slug),
        s.name,
        s.owner,
        String(s.tier),
        s.lifecycle,
        (s.tags ?? []).join(', '),
      ]);
      return [
        rows.length
          ? table(['Slug', 'Name', 'Owner', 'Tier', 'Lifecycle', 'Tags'], rows, 'Services')
          : h('p', { class: 'muted' }, 'No service matches these filters.'),
        h(
          'div',
          { class: 'pager' },
          button(
            'Previous page',
            () => void show(pageIndex - 1),
            pageIndex > 0 ? true : 'This is the first page',
          ),
          h('span', {}, `Page ${pageIndex + 1}`),
          button(
            'Next page',
            () => void show(pageIndex + 1),
            page.nextCursor ? true : 'No more services',
          ),
        ),
      ];
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
    cursors.splice(1);
    void show(0);
  });

  void show(0);
  return {
    title: 'Services',
    element: h(
      'div',
      {},
      h('h1', {}, 'Services'),
      section('Find a service', filterForm, results),
      registerForm(session, () => void show(0)),
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
