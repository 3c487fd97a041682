import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'node:net';
import { freePort } from './app-process.js';
import { eventually } from './eventually.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The broker jars that scripts/kafka-fetch.sh downloads for the machine's own broker. */
function kafkaLib(): string {
  const lib = process.env.KAFKA_LIB ?? path.join(ROOT, '.cache/kafka/lib');
  if (!existsSync(lib)) throw new Error(`no Kafka jars in ${lib}: run npm run infra:up first`);
  return lib;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ScramUser {
  username: string;
  password: string;
}

/**
 * A single-node KRaft broker of the test's own, on free ports with its data in a temp
 * directory, that a fault test may stop and start again while the machine's broker on
 * 9092 keeps running. It is stopped with SIGTERM to its own pid only.
 */
export class PrivateKafka {
  private process?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    private readonly dir: string,
    private readonly scram?: ScramUser,
  ) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * With `scram`, clients must authenticate: the client port is a SASL_PLAINTEXT
   * listener that takes SCRAM-SHA-256 only, and the user's credential is written into
   * the metadata when the log directory is formatted (the broker uses it itself too).
   */
  static async start(options: { scram?: ScramUser } = {}): Promise<PrivateKafka> {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-kafka-'));
    const kafka = new PrivateKafka(await freePort(), await freePort(), dir, options.scram);
    kafka.configure();
    await kafka.resume();
    return kafka;
  }

  private get propertiesFile(): string {
    return path.join(this.dir, 'server.properties');
  }

  private configure(): void {
    const data = path.join(this.dir, 'data');
    mkdirSync(data);
    mkdirSync(path.join(this.dir, 'logs'));
    writeFileSync(
      this.propertiesFile,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
        ...this.listenerProperties(),
        `log.dirs=${data}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'default.replication.factor=1',
        'min.insync.replicas=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        'log.retention.ms=-1',
        'num.network.threads=2',
        'num.io.threads=2',
        '',
      ].join('\n'),
    );
    execFileSync(
      'java',
      [
        ...this.jvmOptions('-Xmx256m', 'format.log'),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId(),
        '-c',
        this.propertiesFile,
        '-g',
        ...(this.scram
          ? [
              '--add-scram',
              `SCRAM-SHA-256=[name=${this.scram.username},password=${this.scram.password}]`,
            ]
          : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
  }

  private listenerProperties(): string[] {
    const client = this.scram ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
    const properties = [
      `listeners=${client}://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      `advertised.listeners=${client}://127.0.0.1:${this.port}`,
      'controller.listener.names=CONTROLLER',
      `inter.broker.listener.name=${client}`,
      `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${client}:${client}`,
    ];
    if (!this.scram) return properties;
    const { username, password } = this.scram;
    return [
      ...properties,
      'sasl.enabled.mechanisms=SCRAM-SHA-256',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256',
      `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
    ];
  }

  private jvmOptions(heap: string, logFile: string): string[] {
    return [
      heap,
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(ROOT, 'infra/kafka/log4j2.properties')}`,
      `-Dkafka.logs.dir=${path.join(this.dir, 'logs')}`,
      `-Dkafka.log.file=${logFile}`,
      '-cp',
      `${kafkaLib()}/*`,
    ];
  }

  /** (Re)starts the broker on the same ports and data; resolves once it accepts connections. */
  async resume(): Promise<void> {
    const out = openSync(path.join(this.dir, 'logs', 'kafka.out'), 'a');
    const child = spawn(
      'java',
      [
        ...this.jvmOptions('-Xmx384m', 'server.log'),
        '-Xms128m',
        '-XX:+UseSerialGC',
        'kafka.Kafka',
        this.propertiesFile,
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.process = child;
    // However the test process ends, the broker does not outlive it.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.once('exit', () => process.removeListener('exit', kill));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`private Kafka exited with ${child.exitCode}`);
        if (!(await portOpen(this.port))) throw new Error('private Kafka not listening yet');
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }

  /** SIGTERM to this broker's pid (a clean shutdown), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A KRaft cluster id as `StorageTool random-uuid` makes one: never with a leading '-', which the format tool would read as an option. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
