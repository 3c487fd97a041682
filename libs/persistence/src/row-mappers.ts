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
  if (row.secret) entry.secret = true;
  return entry;
}

// The other way: the domain's resources as the rows that store them.

const date = (iso: string): Date => new Date(iso);

export function serviceRow(service: ServiceResource): Selectable<ServicesTable> {
  return {
    slug: service.slug,
    name: service.name,
    owner: service.owner,
    tier: service.tier,
    lifecycle: service.lifecycle,
    tags: service.tags,
    links: service.links,
    description: service.description ?? null,
    version: service.version,
    created_at: date(service.createdAt),
    updated_at: date(service.updatedAt),
  };
}

export function policyRow(policy: Versioned<PolicyState>): Selectable<PoliciesTable> {
  return {
    slug: policy.slug,
    type: policy.type,
    env: policy.env,
    enabled: policy.enabled,
    spec: policy.spec,
    version: policy.version,
    created_at: date(policy.createdAt),
    updated_at: date(policy.updatedAt),
  };
}

export function defaultPolicyRow(
  policy: Versioned<DefaultPolicyState>,
): Selectable<DefaultPoliciesTable> {
  return {
    type: policy.type,
    enabled: policy.enabled,
    spec: policy.spec,
    version: policy.version,
    created_at: date(policy.createdAt),
    updated_at: date(policy.updatedAt),
  };
}

export function configRow(entry: Versioned<ConfigEntryState>): Selectable<ConfigEntriesTable> {
  return {
    slug: entry.slug,
    env: entry.env,
    key: entry.key,
    value: entry.value,
    description: entry.description ?? null,
    secret: entry.secret === true,
    version: entry.version,
    created_at: date(entry.createdAt),
    updated_at: date(entry.updatedAt),
  };
}
