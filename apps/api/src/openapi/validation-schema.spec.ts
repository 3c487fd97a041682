import { ApiProperty, DECORATORS } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { documentFromValidation, type Class } from './validation-schema.js';

class Link {
  @IsUrl()
  url: string;
}

class Base {
  @IsOptional()
  @IsString()
  @MaxLength(10)
  note?: string;
}

class Subject extends Base {
  @Matches(/^[a-z]+$/)
  slug: string;

  @IsInt()
  @Min(0)
  @Max(3)
  tier: number;

  @IsNumber()
  @Min(Number.MIN_VALUE)
  rate: number;

  @IsIn(['a', 'b'])
  mode: string;

  @ValidateIf((_o: object, value: unknown) => value !== undefined)
  @IsString()
  name?: string;

  @IsArray()
  @ArrayMaxSize(5)
  @Matches(/^[a-z]+$/, { each: true })
  tags: string[];

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Link)
  links?: Link[];

  @ApiProperty({ description: 'said by hand' })
  @IsString()
  explained: string;
}

const documented = (cls: Class, property: string) =>
  Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, cls.prototype, property) as Record<
    string,
    unknown
  >;

describe(documentFromValidation.name, () => {
  const classes = documentFromValidation(Subject);

  it('documents the class, its parents and its nested classes', () => {
    expect([...classes]).toEqual(expect.arrayContaining([Subject, Base, Link]));
    expect(documented(Base, 'note')).toMatchObject({
      type: 'string',
      maxLength: 10,
      required: false,
      nullable: true,
    });
    expect(documented(Link, 'url')).toMatchObject({
      type: 'string',
      format: 'uri',
      required: true,
    });
  });

  it('turns rules into JSON Schema keywords', () => {
    expect(documented(Subject, 'slug')).toMatchObject({ pattern: '^[a-z]+$', required: true });
    expect(documented(Subject, 'tier')).toMatchObject({ type: 'integer', minimum: 0, maximum: 3 });
    expect(documented(Subject, 'rate')).toMatchObject({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
    });
    expect(documented(Subject, 'mode')).toMatchObject({ enum: ['a', 'b'] });
  });

  it('makes a conditionally validated member optional but not nullable', () => {
    const name = documented(Subject, 'name');
    expect(name).toMatchObject({ required: false });
    expect(name).not.toHaveProperty('nullable');
  });

  it('applies per-element rules to the items of an array', () => {
    expect(documented(Subject, 'tags')).toMatchObject({
      type: 'array',
      maxItems: 5,
      items: { type: 'string', pattern: '^[a-z]+$' },
    });
  });

  it('refers nested members to their class', () => {
    const links = documented(Subject, 'links');
    expect(links).toMatchObject({ isArray: true, required: false });
    expect((links.type as () => Class)()).toBe(Link);
  });

  it('keeps what an explicit @ApiProperty says, and is idempotent', () => {
    documentFromValidation(Subject);
    expect(documented(Subject, 'explained')).toMatchObject({ description: 'said by hand' });
    expect(Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, Subject.prototype)).toEqual(
      expect.arrayContaining([':slug', ':tier']),
    );
    const keys = Reflect.getMetadata(
      DECORATORS.API_MODEL_PROPERTIES_ARRAY,
      Subject.prototype,
    ) as string[];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
