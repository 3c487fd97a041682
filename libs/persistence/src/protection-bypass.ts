import type { Transaction } from 'kysely';
import type { WardenDatabase } from './database.types.js';
import type { DomainEvent } from '#domain/event-validation';
import { protectionOf, reachOf, type ProtectionRule } from '#domain/protection';

/** The rules an event matched without passing the API's check; undefined when none. */
export type BypassJudge = (event: DomainEvent, currentTier?: number) => string[] | undefined;

const NOTHING_BYPASSED: BypassJudge = () => undefined;

/**
 * The API refuses direct writes to protected targets; events that outside producers
 * publish to Kafka are applied all the same, and the audit records which rules they
 * bypassed. The rules are read in the run's transaction, and only for a run that holds
 * such an event, so the API's own writes cost no extra round trip.
 */
export async function judgeBypasses(
  trx: Transaction<WardenDatabase>,
  events: readonly DomainEvent[],
): Promise<BypassJudge> {
  if (!events.some(fromOutside)) return NOTHING_BYPASSED;
  const rules: ProtectionRule[] = await trx
    .selectFrom('protection_rules')
    .select(['name', 'match', 'approvals'])
    .execute();
  if (rules.length === 0) return NOTHING_BYPASSED;
  return (event, currentTier) => {
    if (!fromOutside(event)) return undefined;
    const protection = protectionOf(rules, [reachOf(event.type, event.data, currentTier)]);
    return protection?.rules.map((rule) => rule.name);
  };
}

function fromOutside(event: DomainEvent): boolean {
  return (event.source ?? 'kafka') === 'kafka';
}
