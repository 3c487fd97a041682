import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startConsole } from './app.js';
import { buttonNamed, byLabel, fakeApi, forbidden, until, type Routes } from './test-support.js';

const services = {
  status: 200,
  body: {
    items: [
      {
        slug: 'checkout',
        name: 'Checkout',
        owner: 'payments',
        tier: 1,
        lifecycle: 'production',
        tags: ['web'],
      },
    ],
    nextCursor: null,
  },
};

function readerRoutes(): Routes {
  return {
    'GET /v1/services': services,
    'GET /admin/cache/stats': forbidden,
    'POST /v1/services': forbidden,
  };
}

describe('the console shell', () => {
  let root: HTMLElement;
  let stop: () => void;

  beforeEach(() => {
    sessionStorage.clear();
    history.replaceState(null, '', '/console');
    root = document.createElement('div');
    document.body.replaceChildren(root);
  });
  afterEach(() => stop?.());

  async function signIn(token: string) {
    (byLabel(root, 'API token') as HTMLInputElement).value = token;
    root.querySelector('form')!.requestSubmit();
  }

  it('asks for an API token and keeps it in the tab session once the API accepts it', async () => {
    const api = fakeApi(readerRoutes());
    stop = startConsole(root, { fetcher: api.fetcher, storage: sessionStorage });
    expect(buttonNamed(root, 'Sign in')).toBeDefined();
    await signIn('dev-reader');
    await until(() => root.querySelector('table'));
    expect(sessionStorage.getItem('warden.console.token')).toBe('dev-reader');
    expect(location.pathname).toBe('/console/services');
    expect(root.textContent).toContain('checkout');
    expect(api.calls.every((c) => c.headers.authorization === 'Bearer dev-reader')).toBe(true);
  });

  it('greys out what a reader may not do, with the reason, instead of hiding it', async () => {
    const api = fakeApi(readerRoutes());
    stop = startConsole(root, { fetcher: api.fetcher });
    await signIn('dev-reader');
    const register = await until(() => buttonNamed(root, 'Register service'));
    expect(register.disabled).toBe(true);
    expect(register.title).toMatch(/writer role.*reader/);
    expect(root.querySelector('.role')?.textContent).toBe('reader');
  });

  it('finds an admin by probing and enables the admin actions', async () => {
    const api = fakeApi({ ...readerRoutes(), 'GET /admin/cache/stats': { status: 200, body: {} } });
    stop = startConsole(root, { fetcher: api.fetcher });
    await signIn('dev-admin');
    await until(() => root.querySelector('.role')?.textContent === 'admin');
    expect(buttonNamed(root, 'Register service')?.disabled).toBe(false);
  });

  it('says so when the token is refused, and stays on the sign-in form', async () => {
    const api = fakeApi({
      'GET /v1/services': {
        status: 401,
        body: { status: 401, detail: 'A valid bearer token is required' },
      },
    });
    stop = startConsole(root, { fetcher: api.fetcher });
    await signIn('wrong');
    await until(() => root.textContent?.includes('not accepted'));
    expect(sessionStorage.getItem('warden.console.token')).toBeNull();
    expect(byLabel(root, 'API token')).toBeDefined();
  });

  it('tells clearly that the API cannot be reached', async () => {
    const fetcher = async () => {
      throw new TypeError('Failed to fetch');
    };
    stop = startConsole(root, { fetcher });
    await signIn('dev-reader');
    await until(() => root.textContent?.includes('cannot be reached'));
    const banner = root.querySelector<HTMLElement>('.banner');
    expect(banner?.hidden).toBe(false);
    expect(banner?.getAttribute('role')).toBe('alert');
  });

  it('opens a deep link on its page once signed in, with every nav link reachable', async () => {
    history.replaceState(null, '', '/console/audit');
    const api = fakeApi({
      ...readerRoutes(),
      'GET /v1/audit': { status: 200, body: { items: [], nextCursor: null } },
    });
    stop = startConsole(root, { fetcher: api.fetcher });
    await signIn('dev-reader');
    await until(() => root.querySelector('h1')?.textContent === 'Audit');
    const links = [...root.querySelectorAll('nav a')].map((a) => a.textContent);
    expect(links).toEqual(['Services', 'Change requests', 'Audit', 'Dead letters', 'Operations']);
    expect(root.querySelector('nav a[aria-current="page"]')?.textContent).toBe('Audit');
  });

  it('labels every control it shows', async () => {
    history.replaceState(null, '', '/console/services');
    const api = fakeApi(readerRoutes());
    stop = startConsole(root, { fetcher: api.fetcher });
    await signIn('dev-reader');
    await until(() => root.querySelector('table'));
    const unlabelled = [...root.querySelectorAll('input, select, textarea')].filter(
      (control) =>
        !root.querySelector(`label[for="${control.id}"]`) && !control.getAttribute('aria-label'),
    );
    expect(unlabelled).toEqual([]);
  });
});
