/** The console talks to Warden only through its public HTTP API (contract sections 3-7). */
export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

/** The API answered with an error: its problem+json document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
  /** The message for one field of a validation failure (`value`, `spec.burst`, ...). */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field || e.field.startsWith(`${field}.`))
      ?.message;
  }
}

/** No answer at all: the API is down, or the network between. */
export class ApiUnreachable extends Error {
  constructor(override readonly cause: unknown) {
    super('The Warden API cannot be reached. Check that it is running, then try again.');
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class WardenApi {
  /** Told about each request's reachability, so the page can show one clear banner. */
  onReachability: (reachable: boolean) => void = () => undefined;

  constructor(
    readonly token: string,
    private readonly fetcher: FetchLike = (input, init) => fetch(input, init),
    readonly baseUrl = '',
  ) {}

  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(path, options);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return (type.includes('json') && text ? JSON.parse(text) : text) as T;
  }

  get<T = unknown>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { signal });
  }

  /** A write that waits for the worker (Prefer: wait), so the page shows the result. */
  write<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(path, { method, body, headers: { prefer: 'wait=10' } });
  }

  /** A request whose every status is an answer (readiness says 503 with a body). */
  async plain(path: string): Promise<Response> {
    try {
      const response = await this.fetcher(`${this.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      this.onReachability(true);
      return response;
    } catch (error) {
      this.onReachability(false);
      throw new ApiUnreachable(error);
    }
  }

  async raw(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    };
    let response: Response;
    try {
      response = await this.fetcher(`${this.baseUrl}${path}`, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      this.onReachability(false);
      throw new ApiUnreachable(error);
    }
    // A proxy in front of a stopped API answers 502-504 without a problem document.
    const gateway = [502, 503, 504].includes(response.status);
    const type = response.headers.get('content-type') ?? '';
    if (gateway && !type.includes('problem+json')) {
      this.onReachability(false);
      throw new ApiUnreachable(new Error(`HTTP ${response.status}`));
    }
    this.onReachability(true);
    if (response.status >= 400) throw new ApiError(await problemOf(response));
    return response;
  }
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    return { ...parsed, status: parsed.status ?? response.status };
  } catch {
    return { status: response.status, title: response.statusText, detail: text || undefined };
  }
}

/** The message a person should read for a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    return `${error.status} ${error.message}${fields ? ` (${fields})` : ''}`;
  }
  if (error instanceof ApiUnreachable) return error.message;
  return String((error as Error)?.message ?? error);
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;

/** A 404 for the route itself (a feature this API does not have), not for a resource. */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.message.startsWith('Cannot ');
}
