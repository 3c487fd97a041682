import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '#persistence/catalog.repository';
import type { ListServicesQueryDto } from './list-services-query.dto.js';
import type { ServiceResource } from '#domain/service.model';
import { versionEtag } from '#domain/etag';
import { validationFailed } from '../http/validation.js';
import type { LoadedResource } from '../writes/write-responder.js';

export interface ServicePage {
  items: ServiceResource[];
  nextCursor: string | null;
}

const DEFAULT_LIMIT = 50;

/** Catalog queries that are not served from the caches: lists and read-backs after a write. */
@Injectable()
export class ServicesService {
  constructor(private readonly catalog: CatalogRepository) {}

  async list(query: ListServicesQueryDto): Promise<ServicePage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const rows = await this.catalog.listServices({
      owner: query.owner,
      tier: query.tier,
      lifecycle: query.lifecycle,
      tag: query.tag,
      q: query.q,
      after,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(items[items.length - 1].slug) : null;
    return { items, nextCursor };
  }

  /** Reads the service from the record, bypassing the caches (after a waited write). */
  async loadFresh(slug: string): Promise<LoadedResource | undefined> {
    const { service } = await this.catalog.findService(slug);
    return (
      service && {
        body: service,
        etag: versionEtag(service.version),
        location: `/v1/services/${slug}`,
      }
    );
  }
}

/** Cursors are opaque to clients: base64url of the last slug of the page. */
export function encodeCursor(slug: string): string {
  return Buffer.from(JSON.stringify({ after: slug }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // falls through to the validation error
  }
  throw validationFailed([{ field: 'cursor', message: 'cursor is not one this API issued' }]);
}
