import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createServer } from 'node:net';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/**
 * A three-node Kafka cluster and a Redis Cluster (three masters, one replica each) of the
 * test's own, started by the same scripts as `npm run infra:up -- --cluster` but on free
 * ports with their data in a temp directory. A fault test kills its nodes at will; the
 * machine's own servers are never touched. `dispose()` stops everything it started.
 */
export class PrivateCluster {
  private static live = new Set<PrivateCluster>();

  private constructor(
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  get kafkaBrokers(): string {
    return this.env.KAFKA_CLUSTER_PORTS.split(',')
      .map((p) => `127.0.0.1:${p}`)
      .join(',');
  }

  get redisClusterNodes(): string {
    return this.env.REDIS_CLUSTER_PORTS.split(',')
      .map((p) => `127.0.0.1:${p}`)
      .join(',');
  }

  static async start(): Promise<PrivateCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-cluster-'));
    // Below the kernel's ephemeral range, and none twice: a port taken by `listen(0)` and
    // released could be handed to any outgoing connection before a broker binds it.
    const taken = new Set<number>();
    const ports = async (n: number) => {
      const found: number[] = [];
      while (found.length < n) {
        const port = 20_000 + Math.floor(Math.random() * 12_000);
        if (!taken.has(port) && (await isFree(port))) {
          taken.add(port);
          found.push(port);
        }
      }
      return found.join(',');
    };
    const cluster = new PrivateCluster(dir, {
      KAFKA_CLUSTER_DIR: path.join(dir, 'kafka'),
      KAFKA_CLUSTER_PORTS: await ports(3),
      KAFKA_CLUSTER_CONTROLLER_PORTS: await ports(3),
      REDIS_CLUSTER_DIR: path.join(dir, 'redis'),
      REDIS_CLUSTER_PORTS: await ports(6),
      REDIS_CLUSTER_BUS_PORTS: await ports(6),
      REDIS_CLUSTER_NODE_TIMEOUT: '2000',
    });
    PrivateCluster.live.add(cluster);
    try {
      await Promise.all([cluster.script('kafka-cluster.sh', 'start'), cluster.redis('start')]);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  private async script(name: string, command: string): Promise<string> {
    const { stdout } = await run('bash', [path.join(ROOT, 'scripts', name), command], {
      env: { ...process.env, ...this.env },
      timeout: 180_000,
    });
    return stdout;
  }

  private redis(command: string): Promise<string> {
    return this.script('redis-cluster.sh', command);
  }

  /** Starts again every node that is not running (a killed one rejoins on its own data). */
  async restartStopped(): Promise<void> {
    await Promise.all([this.script('kafka-cluster.sh', 'start'), this.redis('start')]);
  }

  /** The pid of Kafka node `nodeId` (1-3). */
  async kafkaPid(nodeId: number): Promise<number> {
    const line = (await this.script('kafka-cluster.sh', 'pids'))
      .split('\n')
      .find((l) => l.startsWith(`${nodeId} `));
    if (!line) throw new Error(`kafka node ${nodeId} is not running`);
    return Number(line.split(' ')[1]);
  }

  /** The pid of the Redis node on `port`. */
  redisPid(port: number): number {
    return Number(
      readFileSync(path.join(this.env.REDIS_CLUSTER_DIR, `node-${port}`, 'redis.pid'), 'utf8'),
    );
  }

  /** A cluster client of the test's own (fails fast, like the apps' client). */
  redisClient(): Cluster {
    const client = new Cluster(
      this.env.REDIS_CLUSTER_PORTS.split(',').map((port) => ({ host: '127.0.0.1', port: +port })),
      { redisOptions: { maxRetriesPerRequest: 1 }, slotsRefreshInterval: 1000 },
    );
    client.on('error', () => undefined);
    return client;
  }

  /** Kill -9 of every node still running, synchronously (also the last resort when jest exits). */
  private killAll(): void {
    for (const pidFile of [
      ...[1, 2, 3].map((n) => path.join(this.env.KAFKA_CLUSTER_DIR, `node-${n}`, 'kafka.pid')),
      ...this.env.REDIS_CLUSTER_PORTS.split(',').map((p) =>
        path.join(this.env.REDIS_CLUSTER_DIR, `node-${p}`, 'redis.pid'),
      ),
    ]) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // not running
      }
    }
  }

  /** Kill -9 of every node: their data is thrown away, so no clean shutdown is waited for. */
  async dispose(): Promise<void> {
    PrivateCluster.live.delete(this);
    this.killAll();
    rmSync(this.dir, { recursive: true, force: true });
  }

  static {
    process.once('exit', () => {
      for (const cluster of PrivateCluster.live) cluster.killAll();
    });
  }
}

/** Runs `redis-cli` against one node (the test reads roles and cluster state with it). */
export function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 2000,
  })
    .toString()
    .trim();
}

/** True when nothing listens on `port` of 127.0.0.1 now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
