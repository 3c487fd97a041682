import { ApiProperty, DECORATORS, type ApiPropertyOptions } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';

type Schema = Record<string, unknown>;

/** A class, as metadata knows it (abstract mapped types included). */
export type Class = abstract new (...args: never[]) => unknown;
type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/**
 * Documents a DTO from the class-validator rules that already validate it, so the
 * OpenAPI document cannot drift from what the API accepts and `libs/domain` stays free
 * of Swagger. Each class in the inheritance chain gets its own members; nested DTOs
 * (`@ValidateNested` + `@Type`) are documented too. Explicit `@ApiProperty` metadata,
 * where present, wins over what is derived here. Returns the classes it documented.
 */
export function documentFromValidation(root: Class, done = new Set<Class>()): Set<Class> {
  const byTarget = new Map<Class, Map<string, ValidationMetadata[]>>();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(root, '', true, false)) {
    if (typeof rule.target !== 'function') continue;
    const target = rule.target as Class;
    const members = byTarget.get(target) ?? new Map<string, ValidationMetadata[]>();
    byTarget.set(target, members);
    members.set(rule.propertyName, [...(members.get(rule.propertyName) ?? []), rule]);
  }
  for (const [target, members] of byTarget) {
    if (done.has(target)) continue;
    done.add(target);
    for (const [property, rules] of members) {
      const nested = nestedType(target, property, rules);
      if (nested) documentFromValidation(nested, done);
      if (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, target.prototype, property))
        continue;
      ApiProperty(propertyOptions(target, property, rules, nested))(target.prototype, property);
    }
  }
  return done;
}

function nestedType(
  target: Class,
  property: string,
  rules: ValidationMetadata[],
): Class | undefined {
  if (!rules.some((r) => r.type === 'nestedValidation')) return undefined;
  return defaultMetadataStorage.findTypeMetadata(target, property)?.typeFunction();
}

function propertyOptions(
  target: Class,
  property: string,
  rules: ValidationMetadata[],
  nested: Class | undefined,
): ApiPropertyOptions {
  const own: Schema = {};
  const items: Schema = {};
  let optional = false;
  for (const rule of rules) {
    if (rule.type === 'conditionalValidation') {
      optional = true;
      // @IsOptional lets null through as well; a bare @ValidateIf does not.
      if (rule.name === 'isOptional') own.nullable = true;
      continue;
    }
    if (rule.type !== 'customValidation' || !rule.name) continue;
    Object.assign(rule.each ? items : own, keywordsOf(rule.name, rule.constraints ?? []));
  }
  const designType = Reflect.getMetadata('design:type', target.prototype, property) as
    Class | undefined;
  const isArray = own.type === 'array' || designType === Array;
  const options: Schema = { ...own, required: !optional };
  if (nested) {
    Object.assign(options, { type: () => nested, isArray });
    delete options.items;
  } else if (isArray) {
    options.type = 'array';
    options.items = items.pattern !== undefined ? { type: 'string', ...items } : items;
  }
  return options;
}

/** The JSON Schema keywords that a class-validator rule stands for. */
function keywordsOf(name: string, constraints: unknown[]): Schema {
  const [first] = constraints;
  switch (name) {
    case 'isString':
      return { type: 'string' };
    case 'isInt':
      return { type: 'integer' };
    case 'isNumber':
      return { type: 'number' };
    case 'isBoolean':
      return { type: 'boolean' };
    case 'isArray':
      return { type: 'array' };
    case 'isObject':
      return { type: 'object', additionalProperties: true };
    case 'isIn':
      return { enum: first };
    case 'equals':
      return { enum: [first] };
    case 'matches':
      return { pattern: (first as RegExp).source };
    case 'min':
      // Min(Number.MIN_VALUE) is how the domain says "greater than 0".
      return (first as number) > 0 && (first as number) < 1e-300
        ? { minimum: 0, exclusiveMinimum: true }
        : { minimum: first };
    case 'max':
      return { maximum: first };
    case 'minLength':
      return { minLength: first };
    case 'maxLength':
      return { maxLength: first };
    case 'arrayMinSize':
      return { minItems: first };
    case 'arrayMaxSize':
      return { maxItems: first };
    case 'isUuid':
      return { type: 'string', format: 'uuid' };
    case 'isIso8601':
      return { type: 'string', format: 'date-time' };
    case 'isUrl':
      return { type: 'string', format: 'uri' };
    default:
      return {};
  }
}
