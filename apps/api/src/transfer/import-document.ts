import type { FieldError } from '#domain/validation';
import { ANY_ENV } from '#domain/policy.model';
import type { ServiceHoldings } from '#persistence/governance.repository';
import type {
  ConfigItemDto,
  DefaultPolicyEntryDto,
  ImportDocumentDto,
  PolicyEntryDto,
  ServiceDocumentDto,
} from './transfer.dto.js';

/** An import document in one shape, whichever of the two export shapes was sent. */
export interface ImportRequest {
  reason?: string;
  services: ServiceDocumentDto[];
  defaults?: DefaultPolicyEntryDto[];
  /** A single service's export was sent: errors are named as in that document. */
  single: boolean;
}

/** What a service will hold once the import is applied: the `after` of the dry-run diff. */
export interface ServiceDiff {
  slug: string;
  before: ServiceDocumentDto | null;
  after: ServiceDocumentDto;
}

/**
 * Accepts what `GET /v1/export` answers and what `GET /v1/services/{slug}/export`
 * answers, unchanged, and renames environments as `envMap` says.
 */
export function toImportRequest(
  document: ImportDocumentDto,
): { ok: true; request: ImportRequest } | { ok: false; errors: FieldError[] } {
  const single = document.service !== undefined;
  const many = document.services !== undefined || document.defaults !== undefined;
  if (single === many) {
    const message = single
      ? 'send either one service export (service, policies, config) or services and defaults, not both'
      : 'services (or one service export with service) is required';
    return { ok: false, errors: [{ field: single ? 'service' : 'services', message }] };
  }
  if (!single && (document.policies !== undefined || document.config !== undefined)) {
    const field = document.policies !== undefined ? 'policies' : 'config';
    return {
      ok: false,
      errors: [{ field, message: `${field} belongs to one service export, beside service` }],
    };
  }
  const services: ServiceDocumentDto[] = single
    ? [{ service: document.service!, policies: document.policies, config: document.config }]
    : (document.services ?? []);
  const rename = (env: string) => document.envMap?.[env] ?? env;
  return {
    ok: true,
    request: {
      ...(document.reason !== undefined ? { reason: document.reason } : {}),
      defaults: document.defaults,
      single,
      services: services.map((item) => ({
        service: item.service,
        ...(item.policies
          ? {
              policies: item.policies.map((p) => ({
                ...p,
                env: p.env === ANY_ENV ? p.env : rename(p.env),
              })),
            }
          : {}),
        ...(item.config ? { config: item.config.map((c) => ({ ...c, env: rename(c.env) })) } : {}),
      })),
    },
  };
}

/** `services.0.config.1.value` of the normalised document, named as the sender wrote it. */
export function nameFieldAsSent(request: ImportRequest, error: FieldError): FieldError {
  return request.single ? { ...error, field: error.field.replace(/^services\.0\./, '') } : error;
}

/**
 * Each service the import would change, with its export document before and after.
 * An import never deletes, so `after` is what it holds now with the document laid over.
 */
export function serviceDiffs(
  request: ImportRequest,
  holdings: ReadonlyMap<string, ServiceHoldings>,
  toDocument: (holdings: ServiceHoldings) => ServiceDocumentDto,
  changed: ReadonlySet<string>,
): ServiceDiff[] {
  return request.services
    .filter((item) => changed.has(item.service.slug))
    .map((item) => {
      const current = holdings.get(item.service.slug);
      const before = current ? toDocument(current) : null;
      const policies = overlay<PolicyEntryDto>(
        before?.policies ?? [],
        item.policies ?? [],
        (p) => `${p.type}\u0000${p.env}`,
      );
      const config = overlay<ConfigItemDto>(
        before?.config ?? [],
        item.config ?? [],
        (c) => `${c.env}\u0000${c.key}`,
      );
      const after = plainJson({
        service: {
          ...item.service,
          tags: item.service.tags ?? [],
          links: item.service.links ?? [],
        },
        policies,
        config,
      });
      return { slug: item.service.slug, before, after };
    });
}

function overlay<T>(current: readonly T[], given: readonly T[], id: (item: T) => string): T[] {
  const merged = new Map(current.map((item) => [id(item), item]));
  for (const item of given) merged.set(id(item), item);
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
