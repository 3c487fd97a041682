import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { NODE_FLAGS } from '#config/node-flags';

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

/** A Node process under load (a built app, or the bare server), measured from outside. */
export class BenchProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts `node [nodeArgs] entry` with `env`, listening on a free port given in `portVariable`,
   * and waits until `readyPath` answers 200.
   */
  static async start(
    entry: string,
    env: Record<string, string>,
    readyPath: string,
    portVariable = 'PORT',
    nodeArgs: string[] = [],
  ): Promise<BenchProcess> {
    const listenOn = await freePort();
    const app = /apps\/(api|worker)\/src\/main\.js$/.exec(entry)?.[1] as
      'api' | 'worker' | undefined;
    const flags = app ? NODE_FLAGS[app] : [];
    const child = spawn(process.execPath, [...flags, ...nodeArgs, entry], {
      env: { PATH: process.env.PATH ?? '', ...env, [portVariable]: String(listenOn) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new BenchProcess(listenOn, child);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${entry} exited with ${child.exitCode}:\n${started.logs()}`);
      try {
        if ((await fetch(`${started.baseUrl}${readyPath}`)).status === 200) return started;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${entry} not ready within 60 s:\n${started.logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resident memory as the kernel counts it (VmRSS), in bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    if (!kib) throw new Error('VmRSS not found');
    return Number(kib[1]) * 1024;
  }

  /**
   * CPU time the process has used so far (user + system, fields 14 and 15 of
   * /proc/<pid>/stat, in clock ticks of 1/100 s): unlike req/s, it hardly moves with
   * what else loads the machine.
   */
  cpuSeconds(): number {
    return processCpuSeconds(this.child.pid!);
  }

  logs(): string {
    return this.output.join('');
  }

  /** How the process ended, if it has: a round's report says so when one died under it. */
  exitState(): string | undefined {
    if (this.child.exitCode !== null) return `exited with code ${this.child.exitCode}`;
    if (this.child.signalCode !== null) return `killed by ${this.child.signalCode}`;
    return undefined;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
