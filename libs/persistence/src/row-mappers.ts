import type { Selectable } from 'kysely';
import type {
  ConfigEntriesTable,
  DefaultPoliciesTable,
  PoliciesTable,
  ServicesTable,
} from './database.types.js';
import type { Lifecycle, ServiceLink, ServiceResource, Versioned } from '#domain/service.model';
import type { DefaultPolicyState, PolicyState, PolicyType } from '#domain/policy.model';
import type { ConfigEntryState } from '#domain/config.model';

const iso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString();

export function toServiceResource(row: Selectable<ServicesTable>): ServiceResource {
  const resource: ServiceResource = {
    slug: row.slug,
    name: row.name,
    owner: row.owner,
    tier: row.tier,
    lifecycle: row.lifecycle as Lifecycle,
    tags: row.tags,
    links: row.links as ServiceLink[],
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.description !== null) resource.description = row.description;
  return resource;
}

export function toPolicyResource(row: Selectable<PoliciesTable>): Versioned<PolicyState> {
  return {
    slug: row.slug,
    type: row.type as PolicyType,
    env: row.env,
    enabled: row.enabled,
    spec: row.spec as Record<string, unknown>,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toDefaultPolicyResource(
  row: Selectable<DefaultPoliciesTable>,
): Versioned<DefaultPolicyState> {
  return {
    type: row.type as PolicyType,
    enabled: row.enabled,
    spec: row.spec as Record<string, unknown>,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toConfigResource(row: Selectable<ConfigEntriesTable>): Versioned<ConfigEntryState> {
  const entry: Versioned<ConfigEntryState> = {
    slug: row.slug,
    env: row.env,
    key: row.key,
    value: row.value,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.description !== null) entry.description = row.description;
  return entry;
}
