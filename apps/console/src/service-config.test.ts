import { afterEach, describe, expect, it } from 'vitest';
import { WardenApi } from './api.js';
import { configSection } from './pages/service-config.js';
import { fakeApi, until, type Routes } from './test-support.js';

const path = '/v1/services/checkout/config/prod';
const entry = (extra: Record<string, unknown>) => ({
  slug: 'checkout',
  env: 'prod',
  key: 'db.password',
  version: 2,
  updatedAt: '2026-03-01T10:00:00.000Z',
  ...extra,
});

function render(routes: Routes) {
  const api = fakeApi(routes);
  const session = { api: new WardenApi('dev-writer', api.fetcher), role: 'writer' as const };
  const element = configSection(session, 'checkout', 'prod');
  document.body.replaceChildren(element);
  return { element, calls: api.calls };
}

const click = (element: Element | null | undefined) => (element as HTMLElement).click();

describe('the configuration editor and secrets', () => {
  afterEach(() => document.body.replaceChildren());

  it('shows a masked secret as hidden and replaces it as a secret, never saving "***" back', async () => {
    const { element, calls } = render({
      [`GET ${path}`]: {
        status: 200,
        body: { items: [entry({ value: '***', secret: true })] },
      },
      [`PUT ${path}/db.password`]: {
        status: 200,
        body: entry({ value: '***', secret: true, version: 3 }),
      },
    });
    const editor = await until(() => element.querySelector<HTMLTextAreaElement>('textarea.value'));
    expect(editor.value).toBe('');
    expect(editor.placeholder).toMatch(/hidden/);
    expect(element.textContent).toContain('db.password (secret)');

    click(element.querySelector('[aria-label="Save db.password"]'));
    await until(() => element.textContent?.includes('its current value is hidden'));
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([]);

    editor.value = '"n3w-pa55"';
    click(element.querySelector('[aria-label="Save db.password"]'));
    await until(() => calls.some((c) => c.method === 'PUT'));
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({
      value: 'n3w-pa55',
      secret: true,
    });
  });

  it('shows a secret to a token that may read it, and keeps it secret when saved', async () => {
    const { element, calls } = render({
      [`GET ${path}`]: {
        status: 200,
        body: { items: [entry({ value: 'hunter2', secret: true })] },
      },
      [`PUT ${path}/db.password`]: {
        status: 200,
        body: entry({ value: 'x', secret: true, version: 3 }),
      },
    });
    const editor = await until(() => element.querySelector<HTMLTextAreaElement>('textarea.value'));
    expect(editor.value).toBe('"hunter2"');
    click(element.querySelector('[aria-label="Save db.password"]'));
    await until(() => calls.some((c) => c.method === 'PUT'));
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ value: 'hunter2', secret: true });
  });

  it('adds a secret entry with the Secret checkbox', async () => {
    const { element, calls } = render({
      [`GET ${path}`]: { status: 200, body: { items: [] } },
      [`PUT ${path}/api.token`]: {
        status: 201,
        body: entry({ key: 'api.token', value: '***', secret: true }),
      },
    });
    const form = await until(() =>
      element.querySelector<HTMLFormElement>('form[aria-label="Add a configuration entry"]'),
    );
    const [key, value, , secret] = [
      ...form.querySelectorAll('input, textarea'),
    ] as HTMLInputElement[];
    key.value = 'api.token';
    value.value = '"t0ken"';
    secret.checked = true;
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await until(() => calls.some((c) => c.method === 'PUT'));
    expect(calls.find((c) => c.method === 'PUT')).toMatchObject({
      path: `${path}/api.token`,
      body: { value: 't0ken', secret: true },
    });
  });
});
