import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { LOGGER } from '#observability/observability.constants';

const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether PostgreSQL answers, as this API instance last saw it: a failed load says
 * "down" at once, and a cheap probe every second says when it is back. While it is down
 * every read is answered from the caches and marked stale, even a fresh one: nothing
 * can confirm it, and a change may be waiting in Kafka behind the outage.
 */
@Injectable()
export class RecordHealth implements OnModuleInit, OnApplicationShutdown {
  private up = true;
  private timer?: NodeJS.Timeout;
  private probing = false;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  get down(): boolean {
    return !this.up;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Runs a read of the record and learns from how it ends. */
  async track<T>(read: Promise<T>): Promise<T> {
    try {
      const result = await read;
      this.mark(true);
      return result;
    } catch (error) {
      this.mark(false, error);
      throw error;
    }
  }

  async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`select 1`.execute(this.db),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('PostgreSQL did not answer within 1 s')),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
      this.mark(true);
    } catch (error) {
      this.mark(false, error);
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }

  private mark(up: boolean, error?: unknown): void {
    if (up === this.up) return;
    this.up = up;
    if (up) this.log.info('PostgreSQL answers again: reads are confirmed by the record');
    else
      this.log.warn(
        { err: String(error) },
        'PostgreSQL is down: reads are served from the caches, marked stale',
      );
  }
}
