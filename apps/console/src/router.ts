/** The console's URLs (contract section 9), all under /console. */
export const BASE = '/console';

export type Route =
  | { name: 'services' }
  | { name: 'service'; slug: string }
  | { name: 'change-requests' }
  | { name: 'audit' }
  | { name: 'dead-letters' }
  | { name: 'operations' }
  | { name: 'not-found'; path: string };

export function matchRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'services' };
  const [first, second] = parts;
  if (first === 'services' && parts.length === 1) return { name: 'services' };
  if (first === 'services' && parts.length === 2 && second)
    return { name: 'service', slug: second };
  if (parts.length === 1 && (first === 'change-requests' || first === 'audit')) {
    return { name: first };
  }
  if (parts.length === 1 && (first === 'dead-letters' || first === 'operations')) {
    return { name: first };
  }
  return { name: 'not-found', path: pathname };
}

export function serviceUrl(slug: string, env?: string): string {
  const base = `${BASE}/services/${encodeURIComponent(slug)}`;
  return env ? `${base}?env=${encodeURIComponent(env)}` : base;
}

/** Moves to a console URL without reloading the page. */
export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** Updates the query of the current URL (filters, env) without a new history entry. */
export function setQuery(params: Record<string, string | undefined>): void {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value) url.searchParams.set(key, value);
    else url.searchParams.delete(key);
  }
  history.replaceState(null, '', url.pathname + url.search);
}

/** Links inside the console move with pushState; others behave as links do. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || anchor.target) return;
    const href = anchor.getAttribute('href') ?? '';
    if (!href.startsWith(`${BASE}/`) && href !== BASE) return;
    event.preventDefault();
    navigate(href);
  });
}
