/** The one place that lays out Redis keys and channels (see docs/architecture.md). */
export class CacheKeys {
  private readonly prefix: string;

  constructor(namespace: string) {
    this.prefix = namespace ? `warden:${namespace}:` : 'warden:';
  }

  /** A service resource (`GET /v1/services/{slug}`), versioned by its aggregate revision. */
  service(slug: string): string {
    return `${this.prefix}svc:${slug}`;
  }

  /** Everything a service's effective views are computed from. */
  snapshot(slug: string): string {
    return `${this.prefix}snap:${slug}`;
  }

  /** The global default policies, versioned by the defaults revision. */
  defaults(): string {
    return `${this.prefix}defaults`;
  }

  /** The composed effective view of one environment (L1 only). */
  effective(slug: string, env: string): string {
    return `${this.prefix}eff:${slug}:${env}`;
  }

  acceptedEvent(eventId: string): string {
    return `${this.prefix}evt:${eventId}`;
  }

  /** Pub/sub channel on which the worker announces every outcome. */
  outcomesChannel(): string {
    return `${this.prefix}outcomes`;
  }

  /** All keys of this namespace (for rebuild and consistency scans). */
  pattern(kind: 'svc' | 'snap'): string {
    return `${this.prefix}${kind}:*`;
  }

  slugOf(key: string): string {
    return key.slice(key.lastIndexOf(':') + 1);
  }
}
