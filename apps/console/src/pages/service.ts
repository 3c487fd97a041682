import { enc, isMissingRoute } from '../api.js';
import { button, formatTime, h, input, json, replace } from '../dom.js';
import { act, load, section, statusLine, table, type Page, type PageContext } from '../page.js';
import { navigate, serviceUrl, setQuery, BASE } from '../router.js';
import { may } from '../session.js';
import { watchEffective, type WatchState } from '../watch.js';
import type { ServiceSummary } from './services.js';
import { policiesSection } from './service-policies.js';
import { configSection } from './service-config.js';

export const DEFAULT_ENV = 'prod';
const DELIVERY_REFRESH_MS = 3000;

interface Delivery {
  etag?: string;
  version?: number;
  watchers: number;
  current: number;
  behind: number;
  instances?: Array<{ instance: string; watchers: number; current: number }>;
}

const STATE_TEXT: Record<WatchState, string> = {
  connecting: 'Connecting to the watch stream…',
  live: 'Live: changes appear as they are applied.',
  polling: 'Following by polling (the API answered without a stream).',
  reconnecting: 'Stream interrupted; reconnecting…',
};

export function servicePage({ session, query }: PageContext, slug: string): Page {
  const { api } = session;
  const env = query.get('env') || DEFAULT_ENV;
  const fields = h('div', {});
  const effective = h('pre', { class: 'effective', 'aria-label': 'Effective view', tabindex: '0' });
  const watchState = h('p', { class: 'muted', role: 'status' });
  const effectiveVersion = h('p', { class: 'muted' });
  const delivery = h('div', { 'aria-live': 'polite' });
  let refreshPolicies = () => undefined as unknown;

  const envInput = input({ value: env, name: 'env', pattern: '[a-z][a-z0-9-]{0,31}|\\*' });
  envInput.id = 'service-env';
  const envForm = h(
    'form',
    { class: 'inline', 'aria-label': 'Environment' },
    h('label', { for: envInput.id }, 'Environment'),
    envInput,
    h('button', { type: 'submit' }, 'Open environment'),
  );
  envForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(serviceUrl(slug, envInput.value.trim() || DEFAULT_ENV));
  });

  const showFields = () =>
    load(fields, async () => {
      const service = await api.get<
        ServiceSummary & {
          createdAt?: string;
          updatedAt?: string;
          links?: Array<{ title: string; url: string }>;
        }
      >(`/v1/services/${enc(slug)}`);
      return h(
        'dl',
        { class: 'fields' },
        [
          ['Name', service.name],
          ['Owner', service.owner],
          ['Tier', String(service.tier)],
          ['Lifecycle', service.lifecycle],
          ['Tags', (service.tags ?? []).join(', ') || '—'],
          ['Description', service.description ?? '—'],
          ['Version', String(service.version ?? '')],
          ['Updated', formatTime(service.updatedAt)],
        ].map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
        service.links?.length
          ? [
              h('dt', {}, 'Links'),
              h(
                'dd',
                {},
                service.links.map((l) => h('a', { href: l.url }, l.title)),
              ),
            ]
          : null,
      );
    });

  const showDelivery = () =>
    load(delivery, async () => {
      const d = await api
        .get<Delivery>(`/v1/services/${enc(slug)}/effective/delivery?env=${enc(env)}`)
        .catch((error: unknown) => {
          // An API without the watch feature has no such route ("Cannot GET ...").
          if (isMissingRoute(error)) return undefined;
          throw error;
        });
      if (!d) return h('p', { class: 'muted' }, 'This API does not report delivery yet.');
      return [
        h(
          'p',
          { class: 'delivery' },
          `Held by ${d.current} of ${d.watchers} watchers`,
          d.behind ? ` (${d.behind} behind)` : '',
        ),
        d.instances?.length
          ? table(
              ['Instance', 'Watchers', 'Current'],
              d.instances.map((i) => [i.instance, String(i.watchers), String(i.current)]),
              'Per API instance',
            )
          : null,
      ];
    });

  const watch = watchEffective(api, slug, env, {
    onView: (view, etag) => {
      effective.textContent = json(view);
      effectiveVersion.textContent = `ETag ${etag ?? '—'} · version ${(view as { version?: number }).version ?? '—'}`;
      void showDelivery();
      refreshPolicies();
    },
    onAbsent: () => {
      effective.textContent = `Service ${slug} does not exist (yet) in the record.`;
    },
    onState: (state, detail) => {
      watchState.textContent = STATE_TEXT[state] + (detail ? ` (${detail})` : '');
      watchState.dataset.state = state;
    },
  });

  const deleteStatus = statusLine();
  const remove = button(
    'Delete service',
    () => {
      if (!confirm(`Delete ${slug} with its policies and configuration?`)) return;
      void act(
        deleteStatus,
        async () => {
          await api.write('DELETE', `/v1/services/${enc(slug)}`);
          navigate(`${BASE}/services`);
        },
        'Deleted.',
      );
    },
    may(session, 'writer'),
    { class: 'danger' },
  );

  void showFields();
  const policies = policiesSection(session, slug, env);
  refreshPolicies = policies.refresh;
  setQuery({ env });
  const element = h(
    'div',
    {},
    h('p', {}, h('a', { href: `${BASE}/services` }, '← Services')),
    h('h1', {}, slug),
    envForm,
    h(
      'div',
      { class: 'grid' },
      section('Fields', fields, remove, deleteStatus),
      section(
        `Effective view in ${env}`,
        watchState,
        effectiveVersion,
        effective,
        h('h3', {}, 'Delivery'),
        delivery,
        button('Refresh delivery', () => void showDelivery()),
      ),
    ),
    policies.element,
    configSection(session, slug, env),
  );
  replace(effective, 'Waiting for the first view…');
  // Each API instance reports its watchers about once a second: keep the figure fresh.
  const deliveryTimer = setInterval(() => void showDelivery(), DELIVERY_REFRESH_MS);
  return {
    title: slug,
    element,
    dispose: () => {
      watch.close();
      clearInterval(deliveryTimer);
    },
  };
}
