export const LIFECYCLES = ['experimental', 'production', 'deprecated', 'retired'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
export const TEAM_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export interface ServiceLink {
  title: string;
  url: string;
}

/** The fields a writer controls; `slug` is fixed at registration. */
export interface ServiceFields {
  name: string;
  owner: string;
  tier: number;
  lifecycle: Lifecycle;
  tags: string[];
  links: ServiceLink[];
  description?: string;
}

export interface ServiceState extends ServiceFields {
  slug: string;
}

/** A resource as the API answers it: its fields plus bookkeeping at the top level. */
export type Versioned<T> = T & { version: number; createdAt: string; updatedAt: string };

export type ServiceResource = Versioned<ServiceState>;

export function isValidSlug(value: string): boolean {
  return SLUG_PATTERN.test(value);
}
