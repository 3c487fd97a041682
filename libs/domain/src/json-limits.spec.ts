import { jsonInputErrors, MAX_FREE_FORM_DEPTH } from './json-limits.js';
import { validatePlain } from './validation.js';
import { SetConfigDto } from './config.dto.js';
import { parseEnvelope } from './event-validation.js';
import { RegisterServiceDto } from './service.dto.js';

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
const fields = (errors: { field: string }[]) => errors.map((e) => e.field);

describe(jsonInputErrors.name, () => {
  it('keeps constructor and __proto__ in a configuration value as plain data', () => {
    const value = JSON.parse('{"constructor":1,"__proto__":{"x":[1]},"prototype":null}');
    const result = validatePlain(SetConfigDto, { value });
    expect(result.ok && JSON.stringify(result.value.value)).toBe(
      '{"constructor":1,"__proto__":{"x":[1]},"prototype":null}',
    );
  });

  it('refuses, by name, a reserved key that a DTO would lose', () => {
    const body = JSON.parse(
      '{"slug":"abc","name":"n","owner":"t","tier":1,"lifecycle":"production","links":[{"title":"t","url":"https://x.dev","constructor":1}]}',
    );
    expect(fields(jsonInputErrors(RegisterServiceDto, body))).toEqual(['links[0].constructor']);
  });

  it(`refuses a value nested deeper than ${MAX_FREE_FORM_DEPTH} levels, naming it`, () => {
    expect(jsonInputErrors(SetConfigDto, { value: nested(MAX_FREE_FORM_DEPTH) })).toEqual([]);
    expect(
      fields(jsonInputErrors(SetConfigDto, { value: nested(MAX_FREE_FORM_DEPTH + 1) })),
    ).toEqual(['value']);
  });

  it('refuses a document too deep to transform without recursing into it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonInputErrors(SetConfigDto, { value: 1, description: deep }).length).toBe(1);
  });

  it('refuses a NUL character in a string or a key, naming where', () => {
    expect(fields(jsonInputErrors(SetConfigDto, { value: { list: ['ok', 'a\u0000b'] } }))).toEqual([
      'value.list[1]',
    ]);
    expect(jsonInputErrors(SetConfigDto, { value: { 'k\u0000': 1 } })[0]?.message).toContain('NUL');
  });
});

describe(parseEnvelope.name, () => {
  const envelope = {
    id: '6f1c2e7a-8f55-4a87-9a1e-3c5f3f0b6a11',
    type: 'config.set',
    aggregate: 'service:checkout',
    actor: 'ci',
    occurredAt: '2026-12-01T10:00:00.000Z',
    schemaVersion: 1,
    data: { slug: 'checkout', env: 'prod', key: 'k', value: { constructor: 1 } },
  };

  it('refuses an event whose Kafka key is not its aggregate', () => {
    const parsed = parseEnvelope(JSON.stringify(envelope), 'service:other');
    expect(parsed.ok ? '' : parsed.reason).toContain('is not the aggregate service:checkout');
    expect(parseEnvelope(JSON.stringify(envelope), 'service:checkout').ok).toBe(true);
  });

  it('refuses a NUL anywhere in the envelope', () => {
    const parsed = parseEnvelope(JSON.stringify({ ...envelope, actor: 'c\u0000i' }));
    expect(parsed.ok ? '' : parsed.reason).toContain('actor: must not contain a NUL character');
  });
});
