export const TOKENS = { reader: 'dev-reader', writer: 'dev-writer', admin: 'dev-admin' } as const;

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small HTTP client for the API under test; bodies are parsed when they are JSON. */
export class WardenClient {
  /** `origin` may be a function: the address of an API that a suite starts later. */
  constructor(
    private readonly origin: string | (() => string),
    private readonly token: string | null = TOKENS.writer,
  ) {}

  get baseUrl(): string {
    return typeof this.origin === 'string' ? this.origin : this.origin();
  }

  as(role: keyof typeof TOKENS | 'none'): WardenClient {
    return new WardenClient(this.origin, role === 'none' ? null : TOKENS[role]);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (text && /json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }
  post<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, headers });
  }
  put<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, { body, headers });
  }
  patch<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, { body, headers });
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, { headers });
  }
}

export const WAIT = { prefer: 'wait=10' };
