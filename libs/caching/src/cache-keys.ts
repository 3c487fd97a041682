/** The per-service kinds of versioned keys that Redis holds. */
export type ServiceKeyKind = 'svc' | 'snap';

/**
 * The one place that lays out Redis keys and channels (see docs/caching.md). A service's
 * keys carry its slug as a hash tag (`svc:{slug}`, `snap:{slug}`): Redis Cluster places
 * them in one slot, so a script over them, like each compare-and-set, runs on one master.
 */
export class CacheKeys {
  private readonly prefix: string;

  constructor(namespace: string) {
    this.prefix = namespace ? `warden:${namespace}:` : 'warden:';
  }

  /** A service resource (`GET /v1/services/{slug}`), versioned by its aggregate revision. */
  service(slug: string): string {
    return `${this.prefix}svc:{${slug}}`;
  }

  /** Everything a service's effective views are computed from. */
  snapshot(slug: string): string {
    return `${this.prefix}snap:{${slug}}`;
  }

  /** The global default policies, versioned by the defaults revision. */
  defaults(): string {
    return `${this.prefix}defaults`;
  }

  /**
   * The composed effective view of one environment (L1 only), one per audience: with
   * secrets masked, or opened for readers with the `secrets` scope.
   */
  effective(slug: string, env: string, audience: 'masked' | 'revealed' = 'masked'): string {
    return `${this.prefix}eff:${slug}:${env}${audience === 'revealed' ? ':secrets' : ''}`;
  }

  /** Hash of what each API instance's watchers of one view hold (field: instance id). */
  delivery(slug: string, env: string): string {
    return `${this.prefix}delivery:${slug}:${env}`;
  }

  acceptedEvent(eventId: string): string {
    return `${this.prefix}evt:${eventId}`;
  }

  /** The request count of one token in one second, shared by every API instance. */
  rateWindow(tokenName: string, second: number): string {
    return `${this.prefix}rate:${tokenName}:${second}`;
  }

  /** Pub/sub channel on which the worker announces every outcome. */
  outcomesChannel(): string {
    return `${this.prefix}outcomes`;
  }

  /** Pub/sub channel on which an admin's invalidation reaches every API instance. */
  controlChannel(): string {
    return `${this.prefix}cache-control`;
  }

  /** All keys of one kind in this namespace (for rebuild and consistency scans). */
  pattern(kind: ServiceKeyKind): string {
    return `${this.prefix}${kind}:*`;
  }

  /** The kind and slug of a `svc:` or `snap:` key of this namespace; undefined for any other key. */
  parse(key: string): { kind: ServiceKeyKind; slug: string } | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const match = /^(svc|snap):\{([^:{}]+)\}$/.exec(key.slice(this.prefix.length));
    return match ? { kind: match[1] as ServiceKeyKind, slug: match[2] } : undefined;
  }
}
