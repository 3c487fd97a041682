import type { OpenAPIObject } from '@nestjs/swagger';
import { ArrayMaxSize, IsInt, IsOptional, IsString, IsUUID, Matches, Min } from 'class-validator';
import { addValidationKeywords, classesOf } from './validation-keywords.js';

const SLUG = /^[a-z]+$/;

class Base {
  @IsOptional()
  @IsString()
  note?: string;
}

class Subject extends Base {
  @Matches(SLUG)
  slug: string;

  @IsInt()
  @Min(0)
  tier: number;

  @Min(Number.MIN_VALUE)
  rate: number;

  @IsUUID()
  id: string;

  @ArrayMaxSize(5)
  @Matches(SLUG, { each: true })
  tags: string[];

  link: object;
}

/** What the plugin leaves in the document for Subject: types and literal arguments only. */
function pluginDocument(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {},
    components: {
      schemas: {
        Subject: {
          type: 'object',
          properties: {
            note: { type: 'string' },
            slug: { type: 'string' },
            tier: { type: 'number', minimum: 0 },
            rate: { type: 'number', minimum: Number.MIN_VALUE },
            id: { type: 'string' },
            tags: { type: 'array', items: { type: 'string' } },
            link: { $ref: '#/components/schemas/Link' },
          },
        },
      },
    },
  };
}

const propertiesOf = (document: OpenAPIObject) =>
  (document.components!.schemas!.Subject as { properties: Record<string, object> }).properties;

describe(addValidationKeywords.name, () => {
  it('adds what the rules say and the plugin cannot read through a constant', () => {
    const document = pluginDocument();
    addValidationKeywords(document, [Subject]);
    const properties = propertiesOf(document);
    expect(properties.slug).toEqual({ type: 'string', pattern: '^[a-z]+$' });
    expect(properties.tier).toEqual({ type: 'integer', minimum: 0 });
    expect(properties.rate).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
    expect(properties.id).toEqual({ type: 'string', format: 'uuid' });
  });

  it("includes the parents' rules; an optional member may be null", () => {
    const document = pluginDocument();
    addValidationKeywords(document, [Subject]);
    expect(propertiesOf(document).note).toEqual({ type: 'string', nullable: true });
  });

  it('applies per-element rules to the items of an array, and leaves references alone', () => {
    const document = pluginDocument();
    addValidationKeywords(document, [Subject]);
    const properties = propertiesOf(document);
    expect(properties.tags).toEqual({
      type: 'array',
      maxItems: 5,
      items: { type: 'string', pattern: '^[a-z]+$' },
    });
    expect(properties.link).toEqual({ $ref: '#/components/schemas/Link' });
  });

  it('leaves the schemas of classes it is not given', () => {
    const document = pluginDocument();
    const before = JSON.stringify(document);
    addValidationKeywords(document, [Base]);
    expect(JSON.stringify(document)).toBe(before);
  });
});

describe(classesOf.name, () => {
  it('answers the exported classes of modules, not their constants or functions', () => {
    expect(classesOf({ Subject, SLUG, classesOf }, { Base })).toEqual([Subject, Base]);
  });
});
