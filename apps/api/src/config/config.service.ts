import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '#persistence/catalog.repository';
import { GovernanceRepository } from '#persistence/governance.repository';
import { versionEtag } from '#domain/etag';
import { ProblemException } from '../http/problem.js';
import type { LoadedResource } from '../writes/write-responder.js';
import type { TaggedDocument } from '../policies/policies.service.js';

/**
 * Configuration reads from the record. An environment's listing and an entry's history
 * are tagged with the service's revision; one entry with its own version.
 */
@Injectable()
export class ConfigEntriesService {
  constructor(
    private readonly governance: GovernanceRepository,
    private readonly catalog: CatalogRepository,
  ) {}

  async environment(slug: string, env: string): Promise<TaggedDocument> {
    const found = await this.governance.environmentConfig(slug, env);
    if (!found) throw serviceNotFound(slug);
    return {
      json: JSON.stringify({ items: found.items }),
      etag: `"r${found.revision}"`,
      stale: false,
    };
  }

  async entry(slug: string, env: string, key: string): Promise<TaggedDocument> {
    const found = await this.loadEntry(slug, env, key);
    if (found) return { json: JSON.stringify(found.body), etag: found.etag, stale: false };
    if ((await this.governance.serviceRevision(slug)) === undefined) throw serviceNotFound(slug);
    throw new ProblemException(404, `Service ${slug} has no config entry ${key} in ${env}`);
  }

  async history(slug: string, env: string, key: string): Promise<TaggedDocument> {
    // The revision is read before the history, so the history is never older than its tag.
    const revision = await this.governance.serviceRevision(slug);
    if (revision === undefined) throw serviceNotFound(slug);
    const items = await this.catalog.configHistory(slug, env, key);
    if (items.length === 0)
      throw new ProblemException(404, `Service ${slug} never had a config entry ${key} in ${env}`);
    return { json: JSON.stringify({ items }), etag: `"r${revision}"`, stale: false };
  }

  /** Reads one entry back from the record after a waited write. */
  async loadEntry(slug: string, env: string, key: string): Promise<LoadedResource | undefined> {
    const entry = await this.catalog.findConfig(slug, env, key);
    return (
      entry && {
        body: entry,
        etag: versionEtag(entry.version),
        location: `/v1/services/${slug}/config/${env}/${encodeURIComponent(key)}`,
      }
    );
  }
}

function serviceNotFound(slug: string): ProblemException {
  return new ProblemException(404, `Service ${slug} does not exist`);
}
