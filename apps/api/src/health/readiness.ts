import { sql } from 'kysely';
import type { Database } from '#persistence/database';
import type { RedisConnection } from '#caching/redis-client';
import type { KafkaAdminClient } from '#messaging/kafka-admin';

type Check = 'up' | 'down';

export interface Readiness {
  ready: boolean;
  checks: { kafka: Check; postgres: Check; redis: Check };
}

/** How long one answer is reused: probes (and anyone, without a token) may ask at any rate. */
const READINESS_TTL_MS = 1000;
const CHECK_TIMEOUT_MS = 2000;

/**
 * Readiness computed at most once a second, however often and by however many callers it
 * is asked: callers within a second share one computation (in flight or done). Kafka is
 * asked through the process's one admin connection.
 */
export class ReadinessProbe {
  private last?: { at: number; answer: Promise<Readiness> };

  constructor(
    private readonly db: Database,
    private readonly redis: RedisConnection,
    private readonly kafka: KafkaAdminClient,
    private readonly now: () => number = Date.now,
  ) {}

  current(): Promise<Readiness> {
    const now = this.now();
    if (!this.last || now - this.last.at >= READINESS_TTL_MS) {
      this.last = { at: now, answer: this.compute() };
    }
    return this.last.answer;
  }

  private async compute(): Promise<Readiness> {
    const [kafka, postgres, redis] = await Promise.all([
      this.kafka.reachable().then((up): Check => (up ? 'up' : 'down')),
      withTimeout(sql`select 1`.execute(this.db)),
      withTimeout(this.redis.ping()),
    ]);
    // Redis only speeds reads up: without it the API still answers from PostgreSQL.
    return { ready: kafka === 'up' && postgres === 'up', checks: { kafka, postgres, redis } };
  }
}

async function withTimeout(work: Promise<unknown>, ms = CHECK_TIMEOUT_MS): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
