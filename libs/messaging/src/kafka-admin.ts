import type { Admin, Kafka } from 'kafkajs';

/** How long one answer about the broker's state is reused: readiness probes come often. */
const STATE_TTL_MS = 1000;
const STATE_TIMEOUT_MS = 2000;

/**
 * The process's one Kafka admin connection, opened on first use (a process starts
 * even while Kafka is away) and closed on shutdown. After a failed request the
 * connection is dropped and the next use opens a fresh one, so a broker that came back
 * is reached again.
 */
export class KafkaAdminClient {
  private admin?: Admin;
  private connecting?: Promise<Admin>;
  private state?: { at: number; reachable: Promise<boolean> };
  private closed = false;

  constructor(private readonly kafka: Kafka) {}

  /** Runs `work` with the shared admin client; throws what the broker answered. */
  async use<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = await this.connected();
    try {
      return await work(admin);
    } catch (error) {
      if (lostConnection(error)) this.drop(admin);
      throw error;
    }
  }

  /** True when the broker answers; computed at most once a second, however often asked. */
  reachable(): Promise<boolean> {
    const now = Date.now();
    if (!this.state || now - this.state.at >= STATE_TTL_MS) {
      this.state = {
        at: now,
        reachable: withTimeout(
          this.use((admin) => admin.describeCluster()),
          STATE_TIMEOUT_MS,
        ).then(
          () => true,
          () => false,
        ),
      };
    }
    return this.state.reachable;
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = this.admin ?? (await this.connecting?.catch(() => undefined));
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Admin> {
    if (this.closed) return Promise.reject(new Error('the Kafka admin client is closed'));
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        await admin.disconnect().catch(() => undefined);
        throw error;
      } finally {
        this.connecting = undefined;
      }
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }

  private drop(admin: Admin): void {
    if (this.admin !== admin) return;
    this.admin = undefined;
    void admin.disconnect().catch(() => undefined);
  }
}

/** A failure of the connection, not an answer of the broker (which keeps the connection good). */
function lostConnection(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return !/Protocol|DeleteGroups/.test(name);
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
