import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import type { TokenGrant } from '#config/warden-config';
import { shown, shownValue } from '#domain/secret-value';
import { CatalogRepository } from '#persistence/catalog.repository';
import { GovernanceRepository } from '#persistence/governance.repository';
import { versionEtag } from '#domain/etag';
import { diffJson } from '#domain/json-patch';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { decodeBeforeCursor, encodeBeforeCursor } from '../http/paging.js';
import type { ConfigHistoryQueryDto } from './config-history.dto.js';
import type { LoadedResource } from '../writes/write-responder.js';
import type { TaggedDocument } from '../policies/policies.service.js';
import { openerFor } from '../auth/secret-readers.js';

const DEFAULT_HISTORY_PAGE = 100;
export const JSON_PATCH_TYPE = 'application/json-patch+json';

/**
 * Configuration reads from the record. An environment's listing and an entry's history
 * are tagged with the service's revision; one entry with its own version. Secret values
 * are opened for a reader with the `secrets` scope and masked for any other; the tags are
 * versions, never derived from a value, so both readers may share them.
 */
@Injectable()
export class ConfigEntriesService {
  constructor(
    private readonly governance: GovernanceRepository,
    private readonly catalog: CatalogRepository,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async environment(slug: string, env: string, reader?: TokenGrant): Promise<TaggedDocument> {
    const found = await this.governance.environmentConfig(slug, env);
    if (!found) throw serviceNotFound(slug);
    const open = openerFor(reader, this.cipher);
    return {
      json: JSON.stringify({ items: found.items.map((entry) => shown(entry, open)) }),
      etag: `"r${found.revision}"`,
      stale: false,
    };
  }

  async entry(
    slug: string,
    env: string,
    key: string,
    reader?: TokenGrant,
  ): Promise<TaggedDocument> {
    const found = await this.loadEntry(slug, env, key, reader);
    if (found) return { json: JSON.stringify(found.body), etag: found.etag, stale: false };
    if ((await this.governance.serviceRevision(slug)) === undefined) throw serviceNotFound(slug);
    throw new ProblemException(404, `Service ${slug} has no config entry ${key} in ${env}`);
  }

  /**
   * A page of the entry's versions, newest first; with `from` and `to`, the JSON Patch
   * (RFC 6902) that turns the value of version `from` into that of version `to`.
   */
  async history(
    slug: string,
    env: string,
    key: string,
    query: ConfigHistoryQueryDto = {},
    reader?: TokenGrant,
  ): Promise<TaggedDocument & { contentType?: string }> {
    const open = openerFor(reader, this.cipher);
    if ((query.from === undefined) !== (query.to === undefined)) {
      const missing = query.from === undefined ? 'from' : 'to';
      throw validationFailed([{ field: missing, message: 'from and to go together' }]);
    }
    // The revision is read before the history, so the history is never older than its tag.
    const revision = await this.governance.serviceRevision(slug);
    if (revision === undefined) throw serviceNotFound(slug);
    const etag = `"r${revision}"`;
    if (query.from !== undefined && query.to !== undefined) {
      const versions = await this.catalog.configHistory(slug, env, key, {
        versions: [query.from, query.to],
      });
      const valueOf = (version: number) => {
        const found = versions.find((v) => v.version === version);
        if (!found)
          throw new ProblemException(
            404,
            `Config entry ${key} in ${env} has no version ${version}`,
          );
        return shownValue(found, open);
      };
      const patch = diffJson(valueOf(query.from), valueOf(query.to));
      return { json: JSON.stringify(patch), etag, stale: false, contentType: JSON_PATCH_TYPE };
    }
    const limit = query.limit ?? DEFAULT_HISTORY_PAGE;
    const before = query.cursor !== undefined ? decodeBeforeCursor(query.cursor) : undefined;
    const rows = await this.catalog.configHistory(slug, env, key, { before, limit: limit + 1 });
    if (rows.length === 0 && before === undefined)
      throw new ProblemException(404, `Service ${slug} never had a config entry ${key} in ${env}`);
    const items = rows.slice(0, limit).map((row) => shown(row, open));
    const nextCursor =
      rows.length > limit ? encodeBeforeCursor(items[items.length - 1].version) : null;
    return { json: JSON.stringify({ items, nextCursor }), etag, stale: false };
  }

  /** Reads one entry back from the record after a waited write. */
  async loadEntry(
    slug: string,
    env: string,
    key: string,
    reader?: TokenGrant,
  ): Promise<LoadedResource | undefined> {
    const entry = await this.catalog.findConfig(slug, env, key);
    return (
      entry && {
        body: shown(entry, openerFor(reader, this.cipher)),
        etag: versionEtag(entry.version),
        location: `/v1/services/${slug}/config/${env}/${encodeURIComponent(key)}`,
      }
    );
  }
}

function serviceNotFound(slug: string): ProblemException {
  return new ProblemException(404, `Service ${slug} does not exist`);
}
