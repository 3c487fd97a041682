import fc from 'fast-check';

/** The parts of an OpenAPI 3 document that requests are generated from. */
export interface Schema {
  type?: string;
  $ref?: string;
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

export interface Operation {
  method: string;
  template: string;
  params: Parameter[];
  /** The JSON body's schema, resolved one level. */
  body?: Schema;
  resolve: (schema: Schema) => Schema;
}

/** A request before it is sent: a mutation changes one part of it. */
export interface Draft {
  method: string;
  template: string;
  pathParams: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

/** A request as sent; `name` says which attack it is ("generated" for none). */
export interface Attack {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Undefined: the admin token; null: none at all. */
  token?: string | null;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: Schema): Schema => {
    if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  };
  const out: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      out.push({
        method: method.toUpperCase(),
        template,
        params: operation.parameters ?? [],
        ...(schema ? { body: resolve(schema) } : {}),
        resolve,
      });
    }
  }
  return out;
}

export function isStreamRoute(operation: Operation): boolean {
  return operation.template === '/v1/watch';
}

const isPublic = (operation: Operation) => operation.template.startsWith('/admin/health');

/** A schema with no type of its own: any JSON (configuration values). */
function isFreeForm(schema: Schema): boolean {
  return !schema.type && !schema.$ref && !schema.oneOf && !schema.allOf && !schema.enum;
}

/** Values that a schema allows (or nearly: semantic rules are the server's to judge). */
export function valueOf(
  schema: Schema,
  resolve: (s: Schema) => Schema,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.oneOf) return fc.oneof(...s.oneOf.map((o) => valueOf(o, resolve, depth + 1)));
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string': {
      const min = s.minLength ?? 0;
      const max = Math.min(s.maxLength ?? 24, 40);
      if (s.format === 'uri') return fc.webUrl();
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'date-time')
        return fc
          .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      if (s.pattern)
        return fc
          .stringMatching(new RegExp(s.pattern))
          .filter((v) => v.length >= min && v.length <= (s.maxLength ?? 10_000));
      return fc.string({ minLength: min, maxLength: Math.max(min, max) });
    }
    case 'integer':
      return fc.integer({
        min: (s.minimum ?? -1000) + (s.exclusiveMinimum ? 1 : 0),
        max: s.maximum ?? 1000,
      });
    case 'number':
      return fc
        .double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true })
        .filter((n) => !s.exclusiveMinimum || n > (s.minimum ?? 0));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(
        s.items ? valueOf(s.items, resolve, depth + 1) : fc.jsonValue({ maxDepth: 2 }),
        {
          maxLength: Math.min(s.maxItems ?? 3, 3),
        },
      );
    case 'object':
      if (s.properties && depth < 6) {
        const properties = Object.fromEntries(
          Object.entries(s.properties).map(([name, p]) => [name, valueOf(p, resolve, depth + 1)]),
        );
        return fc.record(properties, { requiredKeys: s.required ?? [] });
      }
      return fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/), {
        maxKeys: 3,
      });
    case undefined:
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

const PATH_VALUES: Record<string, string[]> = {
  env: ['prod', 'staging', 'dev'],
  key: ['limits', 'timeout', 'feature.flag'],
};

function pathValue(param: Parameter, operation: Operation, seeded: string[]): fc.Arbitrary<string> {
  const schema = operation.resolve(param.schema ?? { type: 'string' });
  const generated =
    schema.type === 'number' || schema.type === 'integer'
      ? fc.integer({ min: 1, max: 100_000 }).map(String)
      : schema.pattern || schema.enum || schema.format
        ? valueOf(schema, operation.resolve).map(String)
        : fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
  const known = param.name === 'slug' ? seeded : PATH_VALUES[param.name];
  return known ? fc.oneof(fc.constantFrom(...known), generated) : generated;
}

/** A request to `operation` whose parts each follow the document (it may still break a rule). */
export function requestArbitrary(operation: Operation, seeded: string[]): fc.Arbitrary<Draft> {
  const pathParams = operation.params.filter((p) => p.in === 'path');
  const queryParams = operation.params.filter((p) => p.in === 'query');
  const path = fc.record(
    Object.fromEntries(pathParams.map((p) => [p.name, pathValue(p, operation, seeded)])),
  ) as fc.Arbitrary<Record<string, string>>;
  const query = fc.record(
    Object.fromEntries(
      queryParams.map((p) => [
        p.name,
        valueOf(p.schema ?? { type: 'string' }, operation.resolve).map(String),
      ]),
    ),
    { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
  ) as fc.Arbitrary<Record<string, string>>;
  const names = new Set(
    operation.params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
  );
  const headers = fc.record(
    {
      ...(names.has('prefer')
        ? { prefer: fc.constantFrom('wait=0', 'wait=1', 'respond-async') }
        : {}),
      ...(names.has('if-match') ? { 'if-match': fc.constantFrom('"1"', '"2"', '*') } : {}),
      ...(names.has('if-none-match') ? { 'if-none-match': fc.constantFrom('"1"', '"r1"') } : {}),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<Record<string, string>>;
  const body = operation.body
    ? (valueOf(operation.body, operation.resolve) as fc.Arbitrary<Record<string, unknown>>)
    : fc.constant(undefined);
  return fc.record({ pathParams: path, query, headers, body }).map((parts) => ({
    method: operation.method,
    template: operation.template,
    ...parts,
    ...(parts.body === undefined ? { body: undefined } : {}),
  }));
}

export function render(draft: Draft, name = 'generated', rawBody?: string): Attack {
  let path = draft.template.replace(/\{(\w+)\}/g, (_, p: string) =>
    encodeURIComponent(draft.pathParams[p] ?? ''),
  );
  const query = new URLSearchParams(draft.query).toString();
  if (query) path += `?${query}`;
  const body = rawBody ?? (draft.body === undefined ? undefined : JSON.stringify(draft.body));
  return {
    name,
    method: draft.method,
    path,
    headers: {
      ...draft.headers,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  };
}

/** One kind of request that the contract forbids, made from a request that follows the document. */
export interface Mutation {
  name: string;
  applies: (operation: Operation) => boolean;
  apply: (draft: Draft, operation: Operation) => fc.Arbitrary<Attack>;
}

const typedProperties = (operation: Operation): [string, Schema][] =>
  Object.entries(operation.body?.properties ?? {})
    .map(([name, schema]): [string, Schema] => [name, operation.resolve(schema)])
    .filter(([, schema]) => !isFreeForm(schema));
const stringProperties = (operation: Operation) =>
  typedProperties(operation).filter(([, s]) => s.type === 'string' && !s.enum);
const freeFormProperties = (operation: Operation) =>
  Object.entries(operation.body?.properties ?? {}).filter(([, s]) =>
    isFreeForm(operation.resolve(s)),
  );
const hasObjectBody = (operation: Operation) => operation.body?.type === 'object';

/** A value of another JSON type than `schema` allows (never null: optional fields take it). */
function wrongTypeOf(schema: Schema): fc.Arbitrary<unknown> {
  const others: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({})),
    integer: fc.oneof(
      fc.constantFrom('1', 'one', '1e3'),
      fc.boolean(),
      fc.constant(1.5),
      fc.constant([1]),
    ),
    number: fc.oneof(fc.constantFrom('1', 'NaN'), fc.boolean(), fc.constant([1])),
    boolean: fc.oneof(fc.constantFrom('true', 'yes'), fc.constant(1), fc.constant(0)),
    array: fc.oneof(fc.string(), fc.integer(), fc.constant({ 0: 'a' })),
    object: fc.oneof(fc.string(), fc.integer(), fc.constant([]), fc.boolean()),
  };
  return others[schema.type ?? (schema.oneOf ? 'object' : 'string')] ?? others.object;
}

function deeplyNested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return value;
}

const withNul = fc
  .tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.stringMatching(/^[a-z]{0,6}$/))
  .map(([a, b]) => `${a}\u0000${b}`);

function badPathValues(schema: Schema): string[] {
  const candidates = [
    'UPPER',
    '-lead',
    'a',
    'x'.repeat(300),
    'a\u0000b',
    'a b',
    'ä',
    "a'b",
    'a;b',
    '\u202e',
  ];
  if (schema.type === 'number' || schema.type === 'integer')
    return ['abc', '-1', '1.5', '1e99', '0x10'];
  if (schema.format === 'uuid') return ['not-a-uuid', '00000000-0000-0000-0000', 'x'.repeat(300)];
  if (schema.enum) return ['bogus', 'RATE-LIMIT', 'x'.repeat(300)];
  if (schema.pattern) return candidates.filter((c) => !new RegExp(schema.pattern!).test(c));
  return [];
}

function badQueryValues(schema: Schema): string[] {
  if (schema.type === 'integer') {
    return [
      'abc',
      '1.5',
      String((schema.minimum ?? 0) - 1),
      String((schema.maximum ?? 1e15) + 1),
    ].filter(
      (v) =>
        !/^-?\d+$/.test(v) ||
        Number(v) < (schema.minimum ?? -Infinity) ||
        Number(v) > (schema.maximum ?? Infinity),
    );
  }
  if (schema.enum) return ['bogus', '', 'x'.repeat(300)];
  if (schema.format === 'uuid') return ['nope', 'x'.repeat(100)];
  if (schema.format === 'date-time') return ['yesterday', '2026-13-45T00:00:00Z'];
  if (schema.pattern)
    return ['UPPER!', 'a\u0000b', 'x'.repeat(300)].filter(
      (v) => !new RegExp(schema.pattern!).test(v),
    );
  if (schema.maxLength !== undefined) return ['x'.repeat(schema.maxLength + 1), 'a\u0000b'];
  return ['a\u0000b'];
}

const pick = <T>(items: T[]) => fc.constantFrom(...items);

export const MUTATIONS: Mutation[] = [
  {
    name: 'unknown body field',
    applies: (o) => hasObjectBody(o) && !!o.body?.properties,
    apply: (draft, o) =>
      fc
        .tuple(
          fc
            .stringMatching(/^[a-zA-Z_$][a-zA-Z0-9_$]{0,12}$/)
            .filter((k) => !(k in (o.body!.properties ?? {}))),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map(([key, value]) =>
          render({ ...draft, body: { ...(draft.body ?? {}), [key]: value } }, 'unknown body field'),
        ),
  },
  {
    name: 'wrong type in a field',
    applies: (o) => typedProperties(o).length > 0,
    apply: (draft, o) =>
      pick(typedProperties(o)).chain(([name, schema]) =>
        wrongTypeOf(schema).map((value) =>
          render(
            { ...draft, body: { ...(draft.body ?? {}), [name]: value } },
            `wrong type in a field`,
          ),
        ),
      ),
  },
  {
    name: 'NUL in a string field',
    applies: (o) => stringProperties(o).length > 0,
    apply: (draft, o) =>
      fc
        .tuple(pick(stringProperties(o)), withNul)
        .map(([[name], value]) =>
          render(
            { ...draft, body: { ...(draft.body ?? {}), [name]: value } },
            'NUL in a string field',
          ),
        ),
  },
  {
    name: 'NUL inside a free-form value',
    applies: (o) => freeFormProperties(o).length > 0,
    apply: (draft, o) =>
      fc
        .tuple(pick(freeFormProperties(o)), withNul, fc.integer({ min: 0, max: 2 }))
        .map(([[name], nul, where]) => {
          const value = [nul, { [nul]: 1 }, { a: [1, { b: nul }] }][where];
          return render(
            { ...draft, body: { ...(draft.body ?? {}), [name]: value } },
            'NUL inside a free-form value',
          );
        }),
  },
  {
    name: 'nesting deeper than 32',
    applies: (o) => hasObjectBody(o),
    apply: (draft, o) =>
      fc.integer({ min: 34, max: 200 }).map((depth) => {
        const [free] = freeFormProperties(o);
        const name = free?.[0] ?? 'reason';
        return render(
          { ...draft, body: { ...(draft.body ?? {}), [name]: deeplyNested(depth) } },
          'nesting deeper than 32',
        );
      }),
  },
  {
    name: 'configuration value over 64 KiB',
    applies: (o) => freeFormProperties(o).some(([name]) => name === 'value'),
    apply: (draft) =>
      fc
        .integer({ min: 65_537, max: 200_000 })
        .map((size) =>
          render(
            { ...draft, body: { ...(draft.body ?? {}), value: 'v'.repeat(size) } },
            'configuration value over 64 KiB',
          ),
        ),
  },
  {
    name: 'body over 256 KiB',
    applies: (o) => !!o.body,
    apply: (draft) =>
      fc
        .integer({ min: 262_145, max: 600_000 })
        .map((size) =>
          render(
            { ...draft, body: { ...(draft.body ?? {}), reason: 'r'.repeat(size) } },
            'body over 256 KiB',
          ),
        ),
  },
  {
    name: '__proto__ or constructor key in a typed body',
    applies: (o) => hasObjectBody(o) && !!o.body?.properties,
    apply: (draft) =>
      pick([
        '"__proto__":{"role":"admin"}',
        '"constructor":{"prototype":{"polluted":true}}',
        '"__proto__":null',
      ]).map((member) => {
        const text = JSON.stringify(draft.body ?? {});
        const raw = text === '{}' ? `{${member}}` : `{${member},${text.slice(1)}`;
        return render(draft, '__proto__ or constructor key in a typed body', raw);
      }),
  },
  {
    name: 'malformed JSON',
    applies: (o) => !!o.body,
    apply: (draft) =>
      fc
        .constantFrom(
          '{',
          '{"value":',
          '[1,2',
          '{"a":1,}',
          "{'a':1}",
          'nul',
          '{"a":1}}',
          '\u0000',
          '{"a":"\\u00"}',
        )
        .map((raw) => render(draft, 'malformed JSON', raw)),
  },
  {
    name: 'body not sent as JSON',
    applies: (o) => !!o.body,
    apply: (draft) =>
      fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml')
        .map((type) => {
          const attack = render(draft, 'body not sent as JSON', JSON.stringify(draft.body ?? {}));
          return { ...attack, headers: { ...attack.headers, 'content-type': type } };
        }),
  },
  {
    name: 'bad path parameter',
    applies: (o) =>
      o.params.some((p) => p.in === 'path' && badPathValues(o.resolve(p.schema ?? {})).length > 0),
    apply: (draft, o) => {
      const params = o.params.filter(
        (p) => p.in === 'path' && badPathValues(o.resolve(p.schema ?? {})).length > 0,
      );
      return pick(params).chain((p) =>
        pick(badPathValues(o.resolve(p.schema ?? {}))).map((bad) =>
          render(
            { ...draft, pathParams: { ...draft.pathParams, [p.name]: bad } },
            'bad path parameter',
          ),
        ),
      );
    },
  },
  {
    name: 'bad query value',
    applies: (o) => o.params.some((p) => p.in === 'query'),
    apply: (draft, o) =>
      pick(o.params.filter((p) => p.in === 'query')).chain((p) =>
        pick(badQueryValues(o.resolve(p.schema ?? { type: 'string' }))).map((bad) =>
          render({ ...draft, query: { ...draft.query, [p.name]: bad } }, 'bad query value'),
        ),
      ),
  },
  {
    name: 'no token',
    applies: (o) => !isPublic(o),
    apply: (draft) => fc.constant({ ...render(draft, 'no token'), token: null }),
  },
  {
    name: 'unknown token',
    applies: (o) => !isPublic(o),
    apply: (draft) =>
      fc
        .constantFrom(
          'DEV-ADMIN',
          'dev-admi',
          'dev-admin\u00a0',
          'x'.repeat(5000),
          'null',
          'Basic ZGV2LWFkbWlu',
        )
        .map((token) => ({ ...render(draft, 'unknown token'), token })),
  },
  {
    name: 'reader token on a write or an admin route',
    applies: (o) =>
      !isPublic(o) &&
      (o.method !== 'GET' || o.template.startsWith('/admin') || o.template === '/metrics'),
    apply: (draft) =>
      fc.constant({
        ...render(draft, 'reader token on a write or an admin route'),
        token: 'dev-reader',
      }),
  },
];
