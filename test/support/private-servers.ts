import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './app-process.js';
import { eventually } from './eventually.js';

/**
 * Servers that a fault test owns: it may stop and restart them at will while the
 * machine's own Redis and PostgreSQL keep running untouched. `dispose()` stops them
 * however the test ends.
 */

export class PrivateRedis {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-redis-'));
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.resume();
    return redis;
  }

  /** (Re)starts the server on the same port. */
  async resume(): Promise<void> {
    execFileSync('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--pidfile',
      path.join(this.dir, 'redis.pid'),
      '--logfile',
      path.join(this.dir, 'redis.log'),
    ]);
    await eventually(() => this.cli('ping'), { timeoutMs: 10_000 });
  }

  /** Stops the server (its data is gone, as on this machine's Redis: no persistence). */
  async stop(): Promise<void> {
    try {
      this.cli('shutdown', 'nosave');
    } catch {
      // already down
    }
    await eventually(() => {
      try {
        this.cli('ping');
      } catch {
        return;
      }
      throw new Error('redis still answering');
    });
  }

  private cli(...args: string[]): string {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 2000,
    })
      .toString()
      .trim();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function pgBinary(name: string): string {
  const versions = existsSync('/usr/lib/postgresql')
    ? execFileSync('ls', ['/usr/lib/postgresql']).toString().split(/\s+/).filter(Boolean)
    : [];
  const found = versions
    .sort()
    .reverse()
    .map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
    .find(existsSync);
  return found ?? name;
}

/** A throw-away PostgreSQL cluster, run as the `postgres` user (initdb refuses root). */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/warden`;
  }

  static async start(): Promise<PrivatePostgres> {
    const base = mkdtempSync(path.join(tmpdir(), 'warden-pg-'));
    const dir = path.join(base, 'data');
    mkdirSync(dir);
    execFileSync('chown', ['-R', 'postgres:postgres', base]);
    asPostgres(pgBinary('initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const pg = new PrivatePostgres(await freePort(), dir);
    await pg.resume();
    asPostgres(pgBinary('createdb'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(pg.port),
      '-U',
      'postgres',
      'warden',
    ]);
    return pg;
  }

  async resume(): Promise<void> {
    asPostgres(pgBinary('pg_ctl'), [
      '-D',
      this.dir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      'start',
    ]);
  }

  /** Fast shutdown: open connections are cut, as when a database server goes away. */
  async stop(): Promise<void> {
    try {
      asPostgres(pgBinary('pg_ctl'), ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // already down
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}

function asPostgres(binary: string, args: string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}
