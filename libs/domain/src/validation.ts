import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { detachFreeForm, jsonInputErrors, takenAsSent } from './json-limits.js';
import { memoiseValidationMetadata } from './validation-metadata.js';

// Every process that validates loads this module before its first validation.
memoiseValidationMetadata();

/** One invalid field, named by its dotted path in the submitted document. */
export interface FieldError {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

type Constructor<T> = new () => T;

/** class-validator's options wherever a document is checked: its class's members, no others. */
export const EXACT_MEMBERS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
} as const;

/** What a document that is not a JSON object (an array, a string, `null`) is told. */
export const NOT_AN_OBJECT: FieldError = { field: '', message: 'must be a JSON object' };

export function isJsonObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates a plain document against a DTO class exactly as the HTTP edge does
 * (whitelist, no unknown fields, conversion), so the worker can apply the same
 * rules to events published by outside producers.
 */
export function validatePlain<T extends object>(cls: Constructor<T>, plain: unknown): Validated<T> {
  if (!isJsonObject(plain)) return { ok: false, errors: [NOT_AN_OBJECT] };
  const refused = jsonInputErrors(cls, plain);
  if (refused.length > 0) return { ok: false, errors: refused };
  const instance = instanceOf(cls, plain);
  const errors = validateSync(instance, EXACT_MEMBERS);
  if (errors.length > 0) return { ok: false, errors: flattenValidationErrors(errors) };
  return { ok: true, value: instance };
}

const membersOf = new WeakMap<object, ReadonlySet<string>>();
const flat = new WeakMap<object, boolean>();

function members(cls: object): ReadonlySet<string> {
  let found = membersOf.get(cls);
  if (!found) {
    const rules = getMetadataStorage().getTargetValidationMetadatas(
      cls as Constructor<object>,
      '',
      false,
      false,
    );
    found = new Set(rules.map((rule) => rule.propertyName));
    membersOf.set(cls, found);
  }
  return found;
}

/**
 * The instance class-validator checks. A class whose members are all taken as sent
 * (`takenAsSent`, the event data of config and policies) gets them assigned: what
 * class-transformer would build, without its walk over every member (half the cost of
 * checking a write). Other classes go through class-transformer, their free-form
 * members detached so that it never walks them.
 */
function instanceOf<T extends object>(cls: Constructor<T>, plain: object): T {
  let isFlat = flat.get(cls);
  if (isFlat === undefined) flat.set(cls, (isFlat = takenAsSent(cls, members(cls))));
  if (isFlat) return Object.assign(new cls(), plain);
  const restore = detachFreeForm(cls, plain);
  let instance: T;
  try {
    instance = plainToInstance(cls, plain, { exposeDefaultValues: true });
  } finally {
    restore(undefined);
  }
  restore(instance);
  return instance;
}

/**
 * The members of `plain` that `cls` has no rule for, named as class-validator's whitelist
 * names them: what `forbidNonWhitelisted` refuses, without building an instance.
 */
export function membersOutside<T extends object>(cls: Constructor<T>, plain: object): FieldError[] {
  const known = members(cls);
  return Object.keys(plain)
    .filter((key) => !known.has(key))
    .map((key) => ({ field: key, message: `${key} should not exist` }));
}

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: message.replace(/^property /, '') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}
