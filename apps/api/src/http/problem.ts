import type { FieldError } from '#domain/validation';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A failure that the filter answers as `application/problem+json`. */
export class ProblemException extends Error {
  readonly problem: Problem;

  constructor(
    status: number,
    detail: string,
    extra: {
      errors?: FieldError[];
      type?: string;
      headers?: Record<string, string>;
      /** Members of the problem type beyond RFC 9457's own (RFC 9457, section 3.2). */
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.problem = {
      ...extra.extensions,
      type: extra.type ?? `https://warden.dev/problems/${slugOf(TITLES[status] ?? 'error')}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      ...(extra.errors ? { errors: extra.errors } : {}),
    };
    this.headers = extra.headers ?? {};
  }

  readonly headers: Record<string, string>;
}

export function problemOf(status: number, detail: string, errors?: FieldError[]): Problem {
  return new ProblemException(status, detail, { errors }).problem;
}

function slugOf(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
