import { validateEventData } from '#domain/event-validation';
import type { EventType } from '#domain/event.model';
import type { FieldError } from '#domain/validation';
import type { DefaultPolicyState, PolicyType } from '#domain/policy.model';
import type { Versioned } from '#domain/service.model';
import type { ServiceHoldings } from '#persistence/governance.repository';
import type { DefaultPolicyEntryDto, ServiceDocumentDto } from './transfer.dto.js';

/** The services and defaults a document lists, in one shape (see import-document.ts). */
export interface ImportContents {
  reason?: string;
  services: readonly ServiceDocumentDto[];
  defaults?: readonly DefaultPolicyEntryDto[];
}

export type ImportAction = 'create' | 'update' | 'unchanged';

export interface ImportCommand {
  type: EventType;
  data: Record<string, unknown>;
  /**
   * The version the plan saw (0: absent). The worker rejects the event if the resource
   * moved between planning and applying, so an import never overwrites a change it
   * did not see.
   */
  expectedVersion?: number;
}

export interface PlannedChange {
  resource: 'service' | 'policy' | 'config' | 'default-policy';
  action: ImportAction;
  slug?: string;
  type?: PolicyType;
  env?: string;
  key?: string;
  /** The event that makes the change; absent when the resource is unchanged. */
  command?: ImportCommand;
}

export interface ImportPlan {
  changes: PlannedChange[];
  errors: FieldError[];
}

/** What the record holds now for the services and defaults that a document names. */
export interface CurrentState {
  services: ReadonlyMap<string, ServiceHoldings>;
  defaults: readonly Versioned<DefaultPolicyState>[];
}

const SERVICE_FIELDS = [
  'name',
  'owner',
  'tier',
  'lifecycle',
  'tags',
  'links',
  'description',
] as const;

/**
 * Compares a document with the record and lists, per resource, whether importing it
 * creates, updates or leaves it unchanged, with the event that would do so. Every event
 * is validated as its HTTP write would be, so a plan without errors publishes nothing
 * that the worker will dead-letter; errors name the document's field (`services.0.policies.1.spec.burst`).
 */
export function planImport(document: ImportContents, current: CurrentState): ImportPlan {
  const changes: PlannedChange[] = [];
  const errors: FieldError[] = [];
  const reason = document.reason !== undefined ? { reason: document.reason } : {};
  const add = (path: string, change: PlannedChange) => {
    if (change.command) {
      for (const error of validateEventData(change.command.type, change.command.data)) {
        errors.push({ field: `${path}.${error.field}`, message: error.message });
      }
    }
    changes.push(change);
  };

  const defaultTypes = new Set<string>();
  (document.defaults ?? []).forEach((entry, index) => {
    const path = `defaults.${index}`;
    if (
      !once(
        defaultTypes,
        entry.type,
        `${path}.type`,
        `a default for ${entry.type} is listed twice`,
        errors,
      )
    )
      return;
    add(path, planDefault(entry, current.defaults, reason));
  });

  const slugs = new Set<string>();
  document.services.forEach((item, index) => {
    const path = `services.${index}`;
    const slug = item.service.slug;
    if (!once(slugs, slug, `${path}.service.slug`, `service ${slug} is listed twice`, errors))
      return;
    const holdings = current.services.get(slug);
    add(`${path}.service`, planService(item, holdings, reason));

    const policyKeys = new Set<string>();
    (item.policies ?? []).forEach((policy, p) => {
      const at = `${path}.policies.${p}`;
      const twice = `the ${policy.type} policy for env ${policy.env} is listed twice`;
      if (!once(policyKeys, `${policy.type} ${policy.env}`, at, twice, errors)) return;
      const existing = holdings?.policies.find(
        (x) => x.type === policy.type && x.env === policy.env,
      );
      const { type, env, enabled, spec } = policy;
      const same = existing && existing.enabled === enabled && sameJson(existing.spec, spec);
      add(at, {
        resource: 'policy',
        slug,
        type,
        env,
        ...decide(existing, same, 'policy.set', { slug, type, env, enabled, spec, ...reason }),
      });
    });

    const configKeys = new Set<string>();
    (item.config ?? []).forEach((entry, c) => {
      const at = `${path}.config.${c}`;
      const twice = `config ${entry.key} for env ${entry.env} is listed twice`;
      if (!once(configKeys, `${entry.env} ${entry.key}`, at, twice, errors)) return;
      const existing = holdings?.config.find((x) => x.env === entry.env && x.key === entry.key);
      const { env, key, value, description, secret } = entry;
      const same =
        existing &&
        sameJson(existing.value, value) &&
        existing.description === description &&
        (existing.secret === true) === (secret === true);
      add(at, {
        resource: 'config',
        slug,
        env,
        key,
        ...decide(existing, same, 'config.set', {
          slug,
          env,
          key,
          value,
          ...(description !== undefined ? { description } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...reason,
        }),
      });
    });
  });
  return { changes, errors };
}

function planDefault(
  entry: DefaultPolicyEntryDto,
  defaults: CurrentState['defaults'],
  reason: { reason?: string },
): PlannedChange {
  const existing = defaults.find((d) => d.type === entry.type);
  const enabled = entry.enabled ?? true;
  const same = existing && existing.enabled === enabled && sameJson(existing.spec, entry.spec);
  return {
    resource: 'default-policy',
    type: entry.type,
    ...decide(existing, same, 'default-policy.set', {
      type: entry.type,
      enabled,
      spec: entry.spec,
      ...reason,
    }),
  };
}

function planService(
  item: ServiceDocumentDto,
  holdings: ServiceHoldings | undefined,
  reason: { reason?: string },
): PlannedChange {
  const desired: Record<string, unknown> = {
    ...item.service,
    tags: item.service.tags ?? [],
    links: item.service.links ?? [],
  };
  const slug = item.service.slug;
  if (!holdings) {
    return {
      resource: 'service',
      slug,
      action: 'create',
      command: { type: 'service.registered', data: { ...plain(desired), ...reason } },
    };
  }
  // A merge patch of the fields that differ; null removes what the document lacks.
  const patch: Record<string, unknown> = {};
  const now = holdings.service as unknown as Record<string, unknown>;
  for (const field of SERVICE_FIELDS) {
    if (!sameJson(now[field], desired[field])) patch[field] = desired[field] ?? null;
  }
  if (Object.keys(patch).length === 0) return { resource: 'service', slug, action: 'unchanged' };
  return {
    resource: 'service',
    slug,
    action: 'update',
    command: {
      type: 'service.updated',
      data: { slug, ...plain(patch), ...reason },
      expectedVersion: holdings.service.version,
    },
  };
}

function decide(
  existing: { version: number } | undefined,
  same: boolean | undefined,
  type: EventType,
  data: Record<string, unknown>,
): Pick<PlannedChange, 'action' | 'command'> {
  if (!existing) return { action: 'create', command: { type, data, expectedVersion: 0 } };
  if (same) return { action: 'unchanged' };
  return { action: 'update', command: { type, data, expectedVersion: existing.version } };
}

function once(
  seen: Set<string>,
  id: string,
  field: string,
  message: string,
  errors: FieldError[],
): boolean {
  if (seen.has(id)) {
    errors.push({ field, message });
    return false;
  }
  seen.add(id);
  return true;
}

/** Equal as JSON values, whatever the order of object members (PostgreSQL's jsonb reorders them). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Class instances from the validation pipe become the plain JSON an event carries. */
function plain(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
