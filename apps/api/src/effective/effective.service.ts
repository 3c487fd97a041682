import type { SecretAudience } from '#domain/secret-value';
import { Injectable } from '@nestjs/common';
import { CatalogCache, type CachedDocument } from '../read-model/catalog-cache.service.js';
import { ProblemException } from '../http/problem.js';

@Injectable()
export class EffectiveViewService {
  constructor(private readonly cache: CatalogCache) {}

  /** The composed view as cached JSON; a deleted or unknown service is a 404. */
  async view(
    slug: string,
    env: string,
    audience: SecretAudience = 'masked',
  ): Promise<CachedDocument> {
    const document = await this.cache.effective(slug, env, audience);
    if (!document) throw new ProblemException(404, `Service ${slug} does not exist`);
    return document;
  }
}
