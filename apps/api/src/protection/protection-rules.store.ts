import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_CONTROL_BUS } from '#caching/caching.constants';
import type { CacheControlBus } from '#caching/cache-control.bus';
import {
  ProtectionRulesRepository,
  type StoredProtectionRule,
} from '#persistence/protection-rules.repository';
import type { ProtectionMatch } from '#domain/protection';
import { LOGGER } from '#observability/observability.constants';
import { ProblemException } from '../http/problem.js';
import { CacheControlListener } from '../read-model/cache-control.listener.js';

/**
 * The protection rules, held in memory so that checking a write costs no round trip.
 * A change made through any instance is written to PostgreSQL, then announced on the
 * cache-control channel, and every instance reads the rules again; after a reconnect
 * (announcements may have been missed) and after an admin's flush too. Until the first
 * read succeeds, writes are refused rather than let through unchecked.
 */
@Injectable()
export class ProtectionRulesStore implements OnModuleInit {
  private rules?: readonly StoredProtectionRule[];
  /** Orders reloads: an older read that finishes late must not replace a newer one. */
  private generation = 0;

  constructor(
    private readonly repository: ProtectionRulesRepository,
    @Inject(CACHE_CONTROL_BUS) private readonly bus: CacheControlBus,
    private readonly cacheControl: CacheControlListener,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const reload = () =>
      void this.reload().catch((error: unknown) => {
        this.log.warn({ err: String(error) }, 'protection rules not reloaded');
      });
    this.cacheControl.listen((command) => {
      if (command.kind !== 'invalidate') reload();
    });
    await this.reload().catch((error: unknown) => {
      this.log.warn(
        { err: String(error) },
        'protection rules not loaded yet; writes wait for them',
      );
    });
  }

  /** The rules in force, read from PostgreSQL only while none could be read yet. */
  async current(): Promise<readonly StoredProtectionRule[]> {
    if (this.rules) return this.rules;
    try {
      return await this.reload();
    } catch {
      throw new ProblemException(
        503,
        'The protection rules cannot be read (PostgreSQL unavailable): writes are not accepted until they can. Retry later.',
        { headers: { 'retry-after': '5' } },
      );
    }
  }

  async put(
    name: string,
    rule: { match: ProtectionMatch; approvals: number },
    actor: string,
  ): Promise<{ rule: StoredProtectionRule; created: boolean; before?: StoredProtectionRule }> {
    const before = (await this.current()).find((r) => r.name === name);
    const { created } = await this.repository.put({ name, ...rule }, actor);
    const rules = await this.changed();
    return { rule: rules.find((r) => r.name === name)!, created, ...(created ? {} : { before }) };
  }

  /** The rule removed, or undefined when there was none of that name. */
  async remove(name: string): Promise<StoredProtectionRule | undefined> {
    const before = (await this.current()).find((r) => r.name === name);
    const removed = await this.repository.delete(name);
    if (removed) await this.changed();
    return removed ? before : undefined;
  }

  /** This instance reads the rules again before answering; the others when they hear it. */
  private async changed(): Promise<readonly StoredProtectionRule[]> {
    const rules = await this.reload();
    await this.bus.publish({ kind: 'protection-rules' }).catch((error: unknown) => {
      // The other instances read them again when their subscription comes back.
      this.log.warn({ err: String(error) }, 'protection rules change not announced');
    });
    return rules;
  }

  private async reload(): Promise<readonly StoredProtectionRule[]> {
    const generation = ++this.generation;
    const rules = await this.repository.list();
    if (generation === this.generation) this.rules = rules;
    return rules;
  }
}
