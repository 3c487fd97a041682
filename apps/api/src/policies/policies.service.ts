import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '#persistence/catalog.repository';
import { GovernanceRepository } from '#persistence/governance.repository';
import { versionEtag } from '#domain/etag';
import type { PolicyType } from '#domain/policy.model';
import { ProblemException } from '../http/problem.js';
import type { LoadedResource } from '../writes/write-responder.js';

/** A JSON document ready for `sendDocument`. */
export interface TaggedDocument {
  json: string;
  etag: string;
  stale: false;
}

/**
 * Policy reads from the record. Lists are tagged with the revision of their aggregate
 * (`"r7"` for a service, `"d3"` for the defaults), which moves with every change to it.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly governance: GovernanceRepository,
    private readonly catalog: CatalogRepository,
  ) {}

  async servicePolicies(slug: string): Promise<TaggedDocument> {
    const found = await this.governance.servicePolicies(slug);
    if (!found) throw new ProblemException(404, `Service ${slug} does not exist`);
    return {
      json: JSON.stringify({ items: found.items }),
      etag: `"r${found.revision}"`,
      stale: false,
    };
  }

  async defaults(): Promise<TaggedDocument> {
    const { items, revision } = await this.governance.defaultPolicies();
    return { json: JSON.stringify({ items }), etag: `"d${revision}"`, stale: false };
  }

  async defaultPolicy(type: PolicyType): Promise<TaggedDocument> {
    const found = await this.loadDefault(type);
    if (!found) throw new ProblemException(404, `No global default is set for ${type}`);
    return { json: JSON.stringify(found.body), etag: found.etag, stale: false };
  }

  /** Reads one override back from the record after a waited write. */
  async loadPolicy(
    slug: string,
    type: PolicyType,
    env: string,
  ): Promise<LoadedResource | undefined> {
    const policy = await this.catalog.findPolicy(slug, type, env);
    return (
      policy && {
        body: policy,
        etag: versionEtag(policy.version),
        location: `/v1/services/${slug}/policies`,
      }
    );
  }

  async loadDefault(type: PolicyType): Promise<LoadedResource | undefined> {
    const policy = await this.catalog.findDefaultPolicy(type);
    return (
      policy && {
        body: policy,
        etag: versionEtag(policy.version),
        location: `/v1/policies/${type}`,
      }
    );
  }
}
