import { IsInt, IsString, Min, ValidateNested, registerDecorator } from 'class-validator';
import { Type } from 'class-transformer';
import { validatePlain } from './validation.js';
import { memoiseValidationMetadata } from './validation-metadata.js';

class Limit {
  @IsInt()
  @Min(1)
  perSecond!: number;
}

class Rule {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Limit)
  limit!: Limit;
}

class NamedRule extends Rule {
  @IsString()
  owner!: string;
}

const fields = (result: ReturnType<typeof validatePlain>) =>
  result.ok ? [] : result.errors.map((e) => e.field).sort();

describe('remembered validation rules', () => {
  it('validates as often as asked with the same verdicts, nested and inherited rules included', () => {
    memoiseValidationMetadata(); // a second call changes nothing
    for (let round = 0; round < 3; round++) {
      expect(validatePlain(Rule, { name: 'a', limit: { perSecond: 5 } }).ok).toBe(true);
      expect(fields(validatePlain(Rule, { name: 1, limit: { perSecond: 0 } }))).toEqual([
        'limit.perSecond',
        'name',
      ]);
      expect(fields(validatePlain(NamedRule, { name: 'a', limit: { perSecond: 5 } }))).toEqual([
        'owner',
      ]);
      expect(fields(validatePlain(Rule, { name: 'a', limit: { perSecond: 5 }, extra: 1 }))).toEqual(
        ['extra'],
      );
    }
  });

  it('honours a rule added after the class was first validated', () => {
    class Late {
      @IsString()
      name!: string;

      slug!: string;
    }
    expect(fields(validatePlain(Late, { name: 'a', slug: 'x' }))).toEqual(['slug']);
    registerDecorator({
      name: 'isLowercase',
      target: Late,
      propertyName: 'slug',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value === value.toLowerCase(),
      },
      options: { message: 'slug must be lowercase' },
    });
    expect(validatePlain(Late, { name: 'a', slug: 'x' }).ok).toBe(true);
    expect(fields(validatePlain(Late, { name: 'a', slug: 'X' }))).toEqual(['slug']);
  });
});
