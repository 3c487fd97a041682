import { ApiError, ApiUnreachable, WardenApi, describeError, type FetchLike } from './api.js';
import { field, h, input, replace } from './dom.js';
import type { Page, PageContext } from './page.js';
import { BASE, interceptLinks, matchRoute, navigate, type Route } from './router.js';
import { forgetToken, probeRole, storeToken, storedToken, type Session } from './session.js';
import { servicesPage } from './pages/services.js';
import { servicePage } from './pages/service.js';
import { changeRequestsPage } from './pages/change-requests.js';
import { auditPage } from './pages/audit.js';
import { deadLettersPage } from './pages/dead-letters.js';
import { operationsPage } from './pages/operations.js';

export interface ConsoleOptions {
  fetcher?: FetchLike;
  storage?: Storage;
}

const NAV: Array<[string, string]> = [
  ['services', 'Services'],
  ['change-requests', 'Change requests'],
  ['audit', 'Audit'],
  ['dead-letters', 'Dead letters'],
  ['operations', 'Operations'],
];

function pageFor(context: PageContext): Page {
  const { route } = context;
  switch (route.name) {
    case 'services':
      return servicesPage(context);
    case 'service':
      return servicePage(context, route.slug);
    case 'change-requests':
      return changeRequestsPage(context);
    case 'audit':
      return auditPage(context);
    case 'dead-letters':
      return deadLettersPage(context);
    case 'operations':
      return operationsPage(context);
    case 'not-found':
      return {
        title: 'Not found',
        element: h('p', {}, `There is no console page at ${route.path}. `, navLink('services')),
      };
  }
}

function navLink(name: string, current?: Route['name']): HTMLElement {
  const label = NAV.find(([key]) => key === name)?.[1] ?? name;
  const active = current === name || (name === 'services' && current === 'service');
  return h('a', { href: `${BASE}/${name}`, 'aria-current': active ? 'page' : null }, label);
}

/** Mounts the console in `root`: the sign-in form until a token works, then the pages. */
export function startConsole(root: HTMLElement, options: ConsoleOptions = {}): () => void {
  const storage = options.storage ?? sessionStorage;
  const fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h('header', { class: 'top' });
  replace(root, h('a', { class: 'skip', href: '#main' }, 'Skip to content'), header, banner, main);
  interceptLinks(root);
  let session: Session | undefined;
  let page: Page | undefined;

  const showReachability = (reachable: boolean) => {
    banner.hidden = reachable;
    banner.textContent = reachable ? '' : new ApiUnreachable(undefined).message;
  };

  const render = () => {
    page?.dispose?.();
    page = undefined;
    if (!session) return renderSignIn();
    const route = matchRoute(location.pathname);
    const context: PageContext = { session, route, query: new URLSearchParams(location.search) };
    page = pageFor(context);
    document.title = `${page.title} · Warden console`;
    replace(header, h('span', { class: 'brand' }, 'Warden'), nav(route), who(session));
    replace(main, page.element);
  };

  const nav = (route: Route) =>
    h(
      'nav',
      { 'aria-label': 'Console' },
      NAV.map(([name]) => navLink(name, route.name)),
    );

  const who = (current: Session) =>
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'role', title: 'The role found for this token' }, current.role),
      h('button', { type: 'button', onclick: signOut }, 'Sign out'),
    );

  const signOut = () => {
    forgetToken(storage);
    session = undefined;
    render();
  };

  const signIn = async (token: string): Promise<void> => {
    const api = new WardenApi(token, fetcher);
    api.onReachability = showReachability;
    const role = await probeRole(api);
    storeToken(token, storage);
    session = { api, role };
    if (location.pathname === BASE || location.pathname === `${BASE}/`) {
      navigate(`${BASE}/services`, true);
    } else render();
  };

  const renderSignIn = (message?: string) => {
    document.title = 'Sign in · Warden console';
    replace(header, h('span', { class: 'brand' }, 'Warden console'));
    const token = input({ type: 'password', autocomplete: 'current-password', required: true });
    const status = h('p', { class: 'error', role: 'alert' }, message ?? '');
    const form = h(
      'form',
      { class: 'card sign-in', 'aria-label': 'Sign in' },
      h('h1', {}, 'Sign in'),
      h('p', {}, 'Paste an API token. It stays in this tab only (session storage).'),
      field('API token', token),
      h('button', { type: 'submit' }, 'Sign in'),
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      status.textContent = 'Checking the token…';
      signIn(token.value.trim()).catch((error: unknown) => {
        status.textContent =
          error instanceof ApiError && error.status === 401
            ? 'This token is not accepted by the API.'
            : describeError(error);
      });
    });
    replace(main, form);
    token.focus();
  };

  const onPop = () => render();
  window.addEventListener('popstate', onPop);
  const saved = storedToken(storage);
  if (saved) {
    signIn(saved).catch((error: unknown) => {
      if (error instanceof ApiError) forgetToken(storage);
      renderSignIn(describeError(error));
    });
  } else renderSignIn();
  return () => {
    page?.dispose?.();
    window.removeEventListener('popstate', onPop);
  };
}
