import { EVENT_TYPES } from './event.model.js';
import { POLICY_TYPES } from './policy.model.js';

/**
 * What an admin does outside the event log, each kept in the audit beside the applied
 * changes: who, what, when and the reason given.
 */
export const ADMIN_ACTION_TYPES = [
  'admin.dlq.redrive',
  'admin.dlq.drop',
  'admin.replay',
  'admin.cache.invalidate',
  'admin.cache.rebuild',
  'admin.tokens.reload',
  'admin.protection-rule.set',
  'admin.protection-rule.deleted',
] as const;
export type AdminActionType = (typeof ADMIN_ACTION_TYPES)[number];

/** Every `type` an audit entry may have: an applied event's or an admin action's. */
export const AUDIT_ENTRY_TYPES = [...EVENT_TYPES, ...ADMIN_ACTION_TYPES] as const;

/** What an admin action acts on, as the audit's `aggregate` column names it. */
export const AdminTargets = {
  deadLetter: (id: number | string) => `dead-letter:${id}`,
  replay: (id: string) => `replay:${id}`,
  /** One aggregate's cached copies, or every copy. */
  cache: (aggregate?: string) => `cache:${aggregate ?? 'all'}`,
  tokens: () => 'tokens',
  protectionRule: (name: string) => `protection-rule:${name}`,
} as const;

const AGGREGATE = `service:[a-z][a-z0-9-]{1,62}|defaults:(?:${POLICY_TYPES.join('|')})`;

/** An `aggregate` filter of the audit: an event's aggregate or an admin action's target. */
export const AUDIT_AGGREGATE_PATTERN = new RegExp(
  `^(?:${AGGREGATE}|dead-letter:\\d{1,18}|replay:[0-9a-f-]{36}|cache:(?:all|${AGGREGATE})` +
    `|tokens|protection-rule:[A-Za-z0-9._-]{1,128})$`,
);
