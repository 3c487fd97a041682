import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess, freePort } from '../support/app-process.js';
import { TOKENS, WardenClient as TestClient, WAIT } from '../support/http-client.js';
import { aService } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { WardenClient, type EffectiveView, type ViewInfo } from '../../libs/client/src/index.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STARTUP = { readyTimeoutMs: 120_000 };

/** `@warden/client` against real API processes: restarts, the cache file, and its tarball. */
describe('@warden/client, end to end', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let other: AppProcess;
  let worker: AppProcess;
  let writer: TestClient;
  let work: string;
  const clients: WardenClient[] = [];

  const register = async () => {
    const service = aService();
    expect((await writer.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  };
  const setConfig = async (slug: string, key: string, value: unknown) => {
    const put = await writer.put(`/v1/services/${slug}/config/prod/${key}`, { value }, WAIT);
    expect([200, 201]).toContain(put.status);
  };
  const sdk = (baseUrl: string, cacheFile?: string) => {
    const client = new WardenClient({
      baseUrl,
      token: TOKENS.reader,
      cacheFile,
      minReconnectMs: 100,
      maxReconnectMs: 1000,
    });
    clients.push(client);
    return client;
  };
  const recorder = () => {
    const seen: { view: EffectiveView; info: ViewInfo }[] = [];
    return { seen, onView: (view: EffectiveView, info: ViewInfo) => seen.push({ view, info }) };
  };

  beforeAll(async () => {
    env = await TestEnvironment.create('client-sdk');
    const processEnv = env.processEnv({ LOG_LEVEL: 'warn' });
    [api, other, worker] = await Promise.all([
      AppProcess.start('api', processEnv, STARTUP),
      AppProcess.start('api', processEnv, STARTUP),
      AppProcess.start('worker', processEnv, STARTUP),
    ]);
    writer = new TestClient(other.baseUrl);
    work = await mkdtemp(path.join(tmpdir(), 'warden-client-'));
  }, 180_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), other?.stop(), worker?.stop()]);
    await env?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('keeps watching through an API restart and resumes on the latest view', async () => {
    const slug = await register();
    const port = api.port;
    const client = sdk(api.baseUrl);
    const { seen, onView } = recorder();
    client.watch(slug, 'prod', onView);
    await eventually(() => expect(seen).toHaveLength(1));

    await api.stop();
    await setConfig(slug, 'while-down', 1);
    api = await AppProcess.start('api', env.processEnv({ LOG_LEVEL: 'warn' }), {
      port,
      ...STARTUP,
    });
    await eventually(() => expect(seen.at(-1)?.view.config).toEqual({ 'while-down': 1 }), {
      timeoutMs: 30_000,
    });
    await setConfig(slug, 'after-restart', 2);
    await eventually(() =>
      expect(seen.at(-1)?.view.config).toEqual({ 'while-down': 1, 'after-restart': 2 }),
    );
    const versions = seen.map((s) => s.view.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    await expect(client.effective(slug, 'prod')).resolves.toEqual(seen.at(-1)?.view);
  });

  it('starts from the cache file when Warden cannot be reached', async () => {
    const slug = await register();
    await setConfig(slug, 'cached', 'yes');
    const cacheFile = path.join(work, 'views.json');
    const online = sdk(api.baseUrl, cacheFile);
    const live = await online.effective(slug, 'prod');
    expect(live.config).toEqual({ cached: 'yes' });

    const offline = sdk(`http://127.0.0.1:${await freePort()}`, cacheFile);
    const { seen, onView } = recorder();
    offline.watch(slug, 'prod', onView);
    await eventually(() => expect(seen.map((s) => s.info.source)).toEqual(['cache']));
    expect(seen[0].view).toEqual(live);
    await expect(offline.effective(slug, 'prod')).resolves.toEqual(live);
    await expect(
      sdk(`http://127.0.0.1:${await freePort()}`).effective(slug, 'prod'),
    ).rejects.toThrow(/cannot be reached/);
  });

  it('installs from its tarball into an empty project and watches a view there', async () => {
    const slug = await register();
    const packed = path.join(work, 'pack');
    await mkdir(packed, { recursive: true });
    await run('npm', ['pack', '-w', '@warden/client', '--pack-destination', packed], { cwd: ROOT });
    const [tarball] = (await readdir(packed)).filter((f) => f.endsWith('.tgz'));
    const project = path.join(work, 'gateway');
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, 'package.json'),
      '{"name":"gateway","private":true,"type":"module"}',
    );
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', path.join(packed, tarball)],
      {
        cwd: project,
      },
    );
    await writeFile(
      path.join(project, 'gateway.js'),
      `import { WardenClient } from '@warden/client';
const client = new WardenClient({ baseUrl: process.argv[2], token: process.argv[3] });
const first = await client.effective(process.argv[4], 'prod');
const watch = client.watch(process.argv[4], 'prod', (view) => {
  if (view.config.pushed !== true) return;
  console.log(JSON.stringify({ first: first.version, pushed: view.version }));
  watch.close();
});
console.log('watching');
`,
    );
    const child = execFile(process.execPath, ['gateway.js', other.baseUrl, TOKENS.reader, slug], {
      cwd: project,
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await eventually(() => expect(output).toContain('watching'));
    await setConfig(slug, 'pushed', true);
    expect(await exited).toBe(0);
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
      first: number;
      pushed: number;
    };
    expect(result.pushed).toBeGreaterThan(result.first);
  });
});
