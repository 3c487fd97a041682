import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { detachFreeForm, jsonInputErrors } from './json-limits.js';
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

/**
 * Validates a plain document against a DTO class exactly as the HTTP edge does
 * (whitelist, no unknown fields, conversion), so the worker can apply the same
 * rules to events published by outside producers.
 */
export function validatePlain<T extends object>(cls: Constructor<T>, plain: unknown): Validated<T> {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return { ok: false, errors: [{ field: '', message: 'must be a JSON object' }] };
  }
  const refused = jsonInputErrors(cls, plain);
  if (refused.length > 0) return { ok: false, errors: refused };
  const restore = detachFreeForm(cls, plain);
  let instance: T;
  try {
    instance = plainToInstance(cls, plain, { exposeDefaultValues: true });
  } finally {
    restore(undefined);
  }
  restore(instance);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) return { ok: false, errors: flattenValidationErrors(errors) };
  return { ok: true, value: instance };
}

const membersOf = new WeakMap<object, ReadonlySet<string>>();

/**
 * The members of `plain` that `cls` has no rule for, named as class-validator's whitelist
 * names them: what `forbidNonWhitelisted` refuses, without building an instance.
 */
export function membersOutside<T extends object>(cls: Constructor<T>, plain: object): FieldError[] {
  let members = membersOf.get(cls);
  if (!members) {
    const rules = getMetadataStorage().getTargetValidationMetadatas(cls, '', false, false);
    members = new Set(rules.map((rule) => rule.propertyName));
    membersOf.set(cls, members);
  }
  const known = members;
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
