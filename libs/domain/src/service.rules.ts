import {
  accepted,
  refused,
  serviceMissing,
  timeOf,
  type Decision,
  type EventOf,
} from './decision.js';
import { emptyServiceAggregate, type ServiceAggregate } from './governance-state.js';
import { applyMergePatch } from './merge-patch.js';
import { Rejection, versionConflict } from './rejection.js';
import type { ServiceLink, ServiceResource, ServiceState } from './service.model.js';

/** The fields of a service as an event carries them: lists and description may be left out. */
type ServiceInput = Omit<ServiceState, 'slug' | 'tags' | 'links' | 'description'> & {
  tags?: string[] | null;
  links?: ServiceLink[] | null;
  description?: string | null;
};

function serviceResource(
  slug: string,
  fields: ServiceInput,
  version: number,
  createdAt: string,
  updatedAt: string,
): ServiceResource {
  const service: ServiceResource = {
    slug,
    name: fields.name,
    owner: fields.owner,
    tier: fields.tier,
    lifecycle: fields.lifecycle,
    tags: fields.tags ?? [],
    links: fields.links ?? [],
    version,
    createdAt,
    updatedAt,
  };
  if (fields.description != null) service.description = fields.description;
  return service;
}

/** A slug is taken once: registering it again is a conflict until the service is deleted. */
export function registerService(
  state: ServiceAggregate,
  event: EventOf<'service.registered'>,
): Decision<ServiceAggregate> {
  const { slug, reason: _reason, ...fields } = event.data;
  // A registration expects nothing to exist: `expectedVersion` 0 or none.
  const conflict = versionConflict(`service ${slug}`, event.expectedVersion, 0);
  if (conflict) return refused(conflict);
  if (state.service) return refused(new Rejection('conflict', `service ${slug} already exists`));
  const at = timeOf(event);
  const service = serviceResource(slug, fields, 1, at, at);
  return accepted({ ...state, service }, { after: service, version: service.version });
}

/** A JSON merge patch of the service's fields; the slug never changes. */
export function updateService(
  state: ServiceAggregate,
  event: EventOf<'service.updated'>,
): Decision<ServiceAggregate> {
  const { slug, reason: _reason, ...patch } = event.data;
  const current = state.service;
  if (!current) return serviceMissing(slug);
  const conflict = versionConflict(`service ${slug}`, event.expectedVersion, current.version);
  if (conflict) return refused(conflict);
  const { version: _v, createdAt: _c, updatedAt: _u, slug: _s, ...fields } = current;
  const merged = applyMergePatch(fields, patch) as ServiceInput;
  const service = serviceResource(
    current.slug,
    merged,
    current.version + 1,
    current.createdAt,
    timeOf(event),
  );
  return accepted(
    { ...state, service },
    { before: current, after: service, version: service.version },
  );
}

/** A service goes with its policies, its configuration and the configuration's history. */
export function deleteService(
  state: ServiceAggregate,
  event: EventOf<'service.deleted'>,
): Decision<ServiceAggregate> {
  const { slug } = event.data;
  const current = state.service;
  if (!current) return serviceMissing(slug);
  const conflict = versionConflict(`service ${slug}`, event.expectedVersion, current.version);
  if (conflict) return refused(conflict);
  return accepted(emptyServiceAggregate(state.slug), { before: current }, { kind: 'erased' });
}
