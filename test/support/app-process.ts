import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { eventually } from './eventually.js';
import { NODE_FLAGS } from '#config/node-flags';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A built app (`npm run build`) running as its own process, as `npm run start:*` runs it. */
export class AppProcess {
  private output: string[] = [];
  private exited?: Promise<number | null>;

  private constructor(
    readonly name: 'api' | 'worker',
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 2000) this.output.splice(0, 1000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  logs(): string {
    return this.output.join('');
  }

  static async start(
    name: 'api' | 'worker',
    env: Record<string, string>,
    options: { port?: number; workerPort?: number; readyTimeoutMs?: number } = {},
  ): Promise<AppProcess> {
    const port = options.port ?? (await freePort());
    const entry = path.join(ROOT, `dist/apps/${name}/src/main.js`);
    const child = spawn(process.execPath, [...NODE_FLAGS[name], entry], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        ...(name === 'api'
          ? { PORT: String(port), WORKER_PORT: String(options.workerPort ?? 0) }
          : { WORKER_PORT: String(port) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(name, port, child);
    const readyPath = name === 'api' ? '/admin/health/ready' : '/health/ready';
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
          const response = await fetch(`${app.baseUrl}${readyPath}`);
          if (response.status !== 200) throw new Error(`${name} not ready: ${response.status}`);
        },
        { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 200 },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready: ${String(error)}\n${app.logs()}`);
    }
    return app;
  }

  /** SIGTERM, as an orchestrator stops it; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    try {
      return await this.exited!;
    } finally {
      clearTimeout(timer);
    }
  }
}
