import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { TOKENS, WardenClient, WAIT } from '../support/http-client.js';
import { anEnvelope, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { launchChromium, screenshot, signIn, signOut } from './browser.js';

/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a
 * real API and worker on the shared Kafka, Redis and PostgreSQL.
 */
describe('the admin console in a browser', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let worker: AppProcess;
  let browser: Browser;
  let page: Page;
  let http: WardenClient;
  const slug = uniqueSlug('console');

  beforeAll(async () => {
    env = await TestEnvironment.create('console');
    [api, worker] = await Promise.all([
      AppProcess.start('api', env.processEnv()),
      AppProcess.start('worker', env.processEnv()),
    ]);
    http = new WardenClient(api.baseUrl);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  const effectiveView = () => page.getByLabel('Effective view');

  it('is served by the API at /console, deep links included, without a token', async () => {
    const deep = await fetch(`${api.baseUrl}/console/services/${slug}?env=prod`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    const html = await deep.text();
    expect(html).toContain('<div id="app">');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${api.baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${api.baseUrl}/console/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/console/../package.json`)).status).not.toBe(200);
  });

  it('signs a reader in and greys out what a reader may not do, saying why', async () => {
    await signIn(page, api.baseUrl, TOKENS.reader);
    const register = page.getByRole('button', { name: 'Register service' });
    expect(await register.isDisabled()).toBe(true);
    expect(await register.getAttribute('title')).toMatch(/writer role/);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    await signOut(page);
  });

  it('registers a service from the Services page and opens it', async () => {
    await signIn(page, api.baseUrl, TOKENS.writer);
    await page.getByLabel('Slug').fill(slug);
    await page.getByLabel('Name').fill('Console Checkout');
    await page.getByLabel('Owner (team)').fill('payments');
    await page.getByLabel('Lifecycle', { exact: true }).last().selectOption('production');
    await page.getByRole('button', { name: 'Register service' }).click();
    await page.getByRole('heading', { name: slug, level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/services/${slug}`);
    expect((await http.get(`/v1/services/${slug}`)).body).toMatchObject({
      name: 'Console Checkout',
    });
    await effectiveView().getByText('Console Checkout').waitFor();
  });

  it('sets a policy and shows the effective view change on the page without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    await page.getByLabel('Level').selectOption('*');
    await page.getByRole('button', { name: 'Set policy' }).click();
    await effectiveView().getByText('"requestsPerSecond": 100').waitFor();
    // A change made elsewhere (another admin, a pipeline) reaches the open page too.
    const quota = { env: 'prod', enabled: true, spec: { limit: 777, period: 'day' } };
    const set = await http.put(`/v1/services/${slug}/policies/quota`, quota, WAIT);
    expect(set.status).toBe(201);
    await effectiveView().getByText('"limit": 777').waitFor();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // The open page is itself a watcher of the view, and holds its latest version.
    await page.getByText('Held by 1 of 1 watchers').waitFor();
    await page.getByText('wins', { exact: true }).first().waitFor();
    await screenshot(page, 'service-1280');
  });

  it('edits a configuration entry, shows a refused value beside the field, then its history and a rollback', async () => {
    await page.getByLabel('Key', { exact: true }).fill('timeout');
    await page.getByLabel('Value (JSON)', { exact: true }).fill('{"ms": 100}');
    await page.getByRole('button', { name: 'Add entry' }).click();
    const inline = page.getByLabel('Value of timeout');
    await inline.waitFor();
    await inline.fill('{"ms": 250}');
    await page.getByRole('button', { name: 'Save timeout' }).click();
    await effectiveView().getByText('"ms": 250').waitFor();

    await inline.fill(JSON.stringify('x'.repeat(70 * 1024)));
    await page.getByRole('button', { name: 'Save timeout' }).click();
    await page.locator('.inline-edit .field-error', { hasText: /bytes/ }).waitFor();
    expect(await inline.getAttribute('aria-invalid')).toBe('true');

    await page.getByRole('button', { name: 'History of timeout' }).click();
    await page.getByRole('heading', { name: 'History of timeout' }).waitFor();
    const diff = page.getByRole('table', { name: 'Difference between version 1 and 2' });
    await diff.getByText('100').waitFor();
    await diff.getByText('250').waitFor();
    await page.getByLabel('Roll back to version').selectOption('1');
    await page.getByLabel('Reason', { exact: true }).last().fill('250 ms broke the gateway');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText('Rolled timeout back to version 1.').waitFor();
    const entry = await http.get(`/v1/services/${slug}/config/prod/timeout`);
    expect(entry.body).toMatchObject({ value: { ms: 100 }, version: 3 });
    await effectiveView().getByText('"ms": 100').waitFor();
    const audit = await http.get(`/v1/audit?aggregate=service:${slug}&type=config.rolled-back`);
    expect(audit.body.items[0]).toMatchObject({ reason: '250 ms broke the gateway' });
    await signOut(page);
  });

  it('adds a secret entry with the Secret checkbox and shows it masked', async () => {
    await signIn(page, api.baseUrl, TOKENS.writer);
    await page.goto(`${api.baseUrl}/console/services/${slug}?env=prod`);
    await page.getByLabel('Key', { exact: true }).fill('db.password');
    await page.getByLabel('Value (JSON)', { exact: true }).fill('"hunter2-console"');
    await page.getByLabel('Secret', { exact: true }).check();
    await page.getByRole('button', { name: 'Add entry' }).click();
    const inline = page.getByLabel('Value of db.password (secret)');
    await inline.waitFor();
    // The development writer has no secrets scope: the value is hidden, not shown as text.
    expect(await inline.inputValue()).toBe('');
    expect(await inline.getAttribute('placeholder')).toMatch(/hidden/);
    await effectiveView().getByText('"db.password": "***"').waitFor();
    expect(await page.content()).not.toContain('hunter2-console');
    const stored = await http.as('reader').get(`/v1/services/${slug}/config/prod/db.password`);
    expect(stored.body).toMatchObject({ value: '***', secret: true, version: 1 });
    await signOut(page);
  });

  it('shows a dead letter with its reason and original message, and redrives it', async () => {
    const parked = anEnvelope('config.set', { slug, env: 'prod', key: 'retries', value: 3 });
    await env.db
      .insertInto('dead_letters')
      .values({
        event_id: parked.id,
        reason: 'failed 5 times: deadlock',
        original_partition: 2,
        original_offset: '41',
        key: parked.aggregate,
        payload: Buffer.from(JSON.stringify(parked)),
        headers: JSON.stringify({}),
        created_at: new Date(),
      })
      .execute();
    await env.db
      .insertInto('processed_events')
      .values({
        id: parked.id,
        aggregate: parked.aggregate,
        type: 'unknown',
        status: 'dead-lettered',
        reason: 'failed 5 times: deadlock',
        processed_at: new Date(),
      })
      .execute();
    await signIn(page, api.baseUrl, TOKENS.admin);
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByText('failed 5 times: deadlock').waitFor();
    await page.getByText('Original message').click();
    await page.getByText(`"key": "retries"`).waitFor();
    await page.getByRole('button', { name: /^Redrive dead letter/ }).click();
    await page.getByText('Sent back to the events topic.').waitFor();
    await eventually(async () => {
      expect((await http.get(`/v1/services/${slug}/config/prod/retries`)).body).toMatchObject({
        value: 3,
      });
    });
  });

  it('approve and apply a change request', async () => {
    const title = `Raise the limit of ${slug}`;
    await signIn(page, api.baseUrl, TOKENS.writer);
    await page.getByRole('link', { name: 'Change requests' }).click();
    await page.getByRole('heading', { name: 'Change requests', level: 1 }).waitFor();
    await page.locator('#draft-slug').fill(slug);
    await page.locator('#draft-env').fill('prod');
    await page.locator('#draft-key').fill('limit');
    await page.locator('#draft-value').fill('{"max": 5}');
    await page.getByRole('button', { name: 'Add this edit' }).click();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Reason', { exact: true }).fill('Black Friday');
    await page.getByRole('button', { name: 'Create change request' }).click();
    await page.getByRole('heading', { name: `Change request: ${title}` }).waitFor();
    const [created] = (await http.get(`/v1/change-requests?service=${slug}`)).body.items;
    expect(created).toMatchObject({ title, status: 'pending', author: 'alice' });
    // The author may not approve their own request: a reviewer signs in.
    await signIn(page, api.baseUrl, TOKENS.admin);
    await page.getByRole('link', { name: 'Change requests' }).click();
    await page.getByRole('button', { name: `Open change request ${title}` }).click();
    const detail = page.locator('.cr-detail');
    await detail.getByText(`${slug} in prod`).waitFor();
    await detail.getByRole('button', { name: 'Approve' }).click();
    await detail.getByText('Approved.').waitFor();
    await detail.getByText('1 of 1 approvals', { exact: false }).waitFor();
    await detail.getByRole('button', { name: 'Apply' }).click();
    await detail.getByText('Applied.').waitFor();
    await eventually(async () => {
      expect((await http.get(`/v1/change-requests/${created.id}`)).body.status).toBe('applied');
    });
    expect((await http.get(`/v1/services/${slug}/config/prod/limit`)).body.value).toEqual({
      max: 5,
    });
    // Listed as applied, and opened again, it says so.
    await page.locator('#cr-status').selectOption('applied');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('button', { name: `Open change request ${title}` }).click();
    await detail.locator('.cr-status.cr-applied').first().waitFor();
    await screenshot(page, 'change-request-applied-1280');
  });

  it('shows every page readably at 1280 and 390 pixels wide', async () => {
    const pages: Array<[string, string, string]> = [
      ['services', '/console/services', 'Services'],
      ['service', `/console/services/${slug}?env=prod`, slug],
      ['change-requests', '/console/change-requests', 'Change requests'],
      ['audit', `/console/audit?aggregate=service:${slug}`, 'Audit'],
      ['dead-letters', '/console/dead-letters', 'Dead letters'],
      ['operations', '/console/operations', 'Operations'],
    ];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url, heading] of pages) {
        await page.goto(`${api.baseUrl}${url}`);
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        const file = await screenshot(page, `${name}-${width}`);
        expect(existsSync(file)).toBe(true);
        // Nothing wider than the window: the page scrolls down, not sideways.
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow).toBeLessThanOrEqual(0);
      }
    }
    await page.goto(`${api.baseUrl}/console/operations`);
    await page.getByText('kafka: up').waitFor();
    await page.getByRole('button', { name: 'Run the consistency auditor' }).click();
    await page.getByText(/^Checked \d+: 0 stale, 0 missing\.$/).waitFor();
  }, 240_000);

  it('says clearly that the API cannot be reached when it stops', async () => {
    await page.goto(`${api.baseUrl}/console/operations`);
    await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
    await api.stop();
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The Warden API cannot be reached' })
      .first()
      .waitFor();
    await screenshot(page, 'api-unreachable-390');
  });
});
