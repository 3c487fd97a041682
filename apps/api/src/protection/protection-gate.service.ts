import { Injectable } from '@nestjs/common';
import type { EventType } from '#domain/event.model';
import { describeProtection, protectionOf, reachOf, type Protection } from '#domain/protection';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { ProblemException } from '../http/problem.js';
import { CHANGE_REQUEST_REQUIRED } from './protection.constants.js';
import { ProtectionRulesStore } from './protection-rules.store.js';

/** A change as the rules see it: an event's type and data. */
export interface ProposedChange {
  type: EventType;
  data: object;
}

/**
 * Applies the protection rules to changes before they are published: a direct write to
 * a protected target is refused, and a change request asks the approvals its changes
 * need. A service's tier is read from the catalog as this instance sees it (from memory
 * once read), the same window the scope check has.
 */
@Injectable()
export class ProtectionGate {
  constructor(
    private readonly rules: ProtectionRulesStore,
    private readonly catalog: CatalogCache,
  ) {}

  /** The rules the changes match and the approvals they need; undefined when none match. */
  async protectionOf(changes: readonly ProposedChange[]): Promise<Protection | undefined> {
    const rules = await this.rules.current();
    if (rules.length === 0) return undefined;
    const needTiers = rules.some((rule) => rule.match.tiers !== undefined);
    const reaches = await Promise.all(
      changes.map(async ({ type, data }) =>
        reachOf(type, data, needTiers ? await this.tierOf(type, data) : undefined),
      ),
    );
    return protectionOf(rules, reaches);
  }

  /** Refuses, with `409 …/change-request-required`, changes that protection rules cover. */
  async admitDirect(changes: readonly ProposedChange[]): Promise<void> {
    const protection = await this.protectionOf(changes);
    if (!protection) return;
    throw new ProblemException(409, describeProtection(protection), {
      type: CHANGE_REQUEST_REQUIRED,
      extensions: {
        rules: protection.rules.map((rule) => rule.name),
        requiredApprovals: protection.approvals,
      },
    });
  }

  private async tierOf(type: EventType, data: object): Promise<number | undefined> {
    const slug = (data as { slug?: unknown }).slug;
    if (type === 'default-policy.set' || typeof slug !== 'string') return undefined;
    const document = await this.catalog.service(slug);
    return document ? (JSON.parse(document.json) as { tier: number }).tier : undefined;
  }
}
