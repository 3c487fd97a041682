import { RegisterServiceDto, UpdateServiceDto } from './service.dto.js';
import { validatePlain } from './validation.js';

const aRegistration = (overrides: Record<string, unknown> = {}) => ({
  slug: 'checkout',
  name: 'Checkout',
  owner: 'team-commerce',
  tier: 1,
  lifecycle: 'production',
  ...overrides,
});

const fieldsOf = (result: ReturnType<typeof validatePlain>) =>
  result.ok ? [] : result.errors.map((e) => e.field);

describe(RegisterServiceDto.name, () => {
  it('accepts a complete registration with links and tags', () => {
    const result = validatePlain(
      RegisterServiceDto,
      aRegistration({
        tags: ['pci'],
        links: [{ title: 'Runbook', url: 'https://runbook.example.com/x' }],
      }),
    );
    expect(result.ok).toBe(true);
  });

  it.each([
    ['starts with a digit', '1checkout'],
    ['has upper case', 'Checkout'],
    ['has an underscore', 'check_out'],
    ['is one character', 'c'],
    ['is 64 characters', `c${'a'.repeat(63)}`],
  ])('rejects a slug that %s', (_why, slug) => {
    expect(fieldsOf(validatePlain(RegisterServiceDto, aRegistration({ slug })))).toEqual(['slug']);
  });

  it('accepts a slug of 63 characters', () => {
    expect(
      validatePlain(RegisterServiceDto, aRegistration({ slug: `c${'a'.repeat(62)}` })).ok,
    ).toBe(true);
  });

  it.each([[-1], [4], [1.5], ['1']])('rejects tier %p (an integer 0–3 is required)', (tier) => {
    expect(fieldsOf(validatePlain(RegisterServiceDto, aRegistration({ tier })))).toContain('tier');
  });

  it.each(['experimental', 'production', 'deprecated', 'retired'])(
    'accepts lifecycle %s',
    (lifecycle) => {
      expect(validatePlain(RegisterServiceDto, aRegistration({ lifecycle })).ok).toBe(true);
    },
  );

  it('rejects an unknown lifecycle', () => {
    expect(
      fieldsOf(validatePlain(RegisterServiceDto, aRegistration({ lifecycle: 'beta' }))),
    ).toEqual(['lifecycle']);
  });

  it('rejects unknown fields, naming them', () => {
    expect(fieldsOf(validatePlain(RegisterServiceDto, aRegistration({ colour: 'blue' })))).toEqual([
      'colour',
    ]);
  });

  it('names the nested field of an invalid link', () => {
    const result = validatePlain(
      RegisterServiceDto,
      aRegistration({ links: [{ title: 'x', url: 'not a url' }] }),
    );
    expect(fieldsOf(result)).toEqual(['links.0.url']);
  });

  it('rejects a missing required field', () => {
    const { name: _name, ...withoutName } = aRegistration();
    expect(fieldsOf(validatePlain(RegisterServiceDto, withoutName))).toContain('name');
  });
});

describe(UpdateServiceDto.name, () => {
  it('accepts a partial patch', () => {
    expect(validatePlain(UpdateServiceDto, { tier: 0 }).ok).toBe(true);
  });

  it('lets null remove an optional member', () => {
    expect(validatePlain(UpdateServiceDto, { description: null, tags: null }).ok).toBe(true);
  });

  it.each(['name', 'owner', 'tier', 'lifecycle'])(
    'refuses null for the required member %s',
    (field) => {
      expect(fieldsOf(validatePlain(UpdateServiceDto, { [field]: null }))).toContain(field);
    },
  );

  it('refuses to change the slug', () => {
    expect(fieldsOf(validatePlain(UpdateServiceDto, { slug: 'other' }))).toEqual(['slug']);
  });
});
