import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

type Schema = Record<string, unknown>;

/** A class, as metadata knows it (abstract mapped types included). */
export type Class = abstract new (...args: never[]) => unknown;
type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/**
 * The swagger compiler plugin documents each DTO at build time from its types and its
 * class-validator rules, but reads some rules only when their argument is a literal (a
 * pattern held in a constant: `@Matches(SLUG_PATTERN)`) and others not at all (`@IsInt`,
 * `@IsUUID`, `@IsOptional`'s null). This adds those keywords to the document's schema of
 * each class, from class-validator's public metadata: the document changes, no class does.
 */
export function addValidationKeywords(document: OpenAPIObject, models: Iterable<Class>): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const model of models) {
    const properties = schemas[model.name]?.properties as Record<string, Schema> | undefined;
    if (!properties) continue;
    for (const [property, rules] of rulesByProperty(model)) {
      const documented = properties[property];
      if (documented && !('$ref' in documented)) refine(documented, rules);
    }
  }
}

/** Every exported class of the given modules (`import * as`). */
export function classesOf(...modules: Record<string, unknown>[]): Class[] {
  return modules.flatMap((module) =>
    Object.values(module).filter(
      (value): value is Class =>
        typeof value === 'function' && /^class\s/.test(Function.prototype.toString.call(value)),
    ),
  );
}

/** A class's rules (its parents' included) by member. */
function rulesByProperty(model: Class): Map<string, ValidationMetadata[]> {
  const members = new Map<string, ValidationMetadata[]>();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(model, '', true, false)) {
    members.set(rule.propertyName, [...(members.get(rule.propertyName) ?? []), rule]);
  }
  return members;
}

function refine(documented: Schema, rules: ValidationMetadata[]): void {
  const own: Schema = {};
  const items: Schema = {};
  for (const rule of rules) {
    // @IsOptional lets null through as well; a bare @ValidateIf does not.
    if (rule.type === 'conditionalValidation' && rule.name === 'isOptional') own.nullable = true;
    if (rule.type !== 'customValidation' || !rule.name) continue;
    Object.assign(rule.each ? items : own, keywordsOf(rule.name, rule.constraints ?? []));
  }
  Object.assign(documented, own);
  if (Object.keys(items).length > 0 && documented.type === 'array') {
    documented.items = { ...(documented.items ?? {}), ...items };
  }
}

/** The JSON Schema keywords of a class-validator rule (the plugin finds some of them). */
function keywordsOf(name: string, constraints: unknown[]): Schema {
  const [first] = constraints;
  switch (name) {
    case 'isInt':
      return { type: 'integer' };
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
      return { format: 'uuid' };
    case 'isIso8601':
      return { format: 'date-time' };
    case 'isUrl':
      return { format: 'uri' };
    default:
      return {};
  }
}
