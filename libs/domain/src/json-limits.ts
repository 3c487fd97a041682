import { Transform, TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import type { FieldError } from './validation.js';

/** How deep a configuration value or a policy spec may nest. */
export const MAX_FREE_FORM_DEPTH = 32;
/** Any document's bound (free-form values sit a few levels below the top of an import). */
const MAX_DOCUMENT_DEPTH = MAX_FREE_FORM_DEPTH + 8;
export const MAX_FREE_FORM_BYTES = 64 * 1024;
/** Keys that class-transformer would skip, which would lose them without a word. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Constructor = abstract new (...args: never[]) => unknown;

/** The part of class-transformer's (unexported) metadata storage read here. */
interface TransformerStorage {
  findTransformMetadatas(
    target: Constructor,
    key: string,
    type: TransformationType,
  ): { transformFn: unknown }[];
  findTypeMetadata(target: Constructor, key: string): { typeFunction: () => unknown } | undefined;
}
const storage = defaultMetadataStorage as TransformerStorage;

const keepAsSent = ({ obj, key }: { obj: Record<string, unknown>; key: string }): unknown =>
  obj[key];
/** The same, for a member whose own rules are checked by another class (an envelope's data). */
const keepAsSentCheckedElsewhere = ({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
  obj[key];

/**
 * Marks a member as free-form JSON (a configuration value, a policy spec): the DTO gets
 * the very value that was sent instead of class-transformer's copy, which would drop
 * `constructor`, `__proto__` and any key it treats specially.
 */
export function FreeFormJson(options: { checkedElsewhere?: boolean } = {}): PropertyDecorator {
  return Transform(options.checkedElsewhere ? keepAsSentCheckedElsewhere : keepAsSent, {
    toClassOnly: true,
  });
}

function freeFormKind(cls: Constructor, key: string): 'limited' | 'elsewhere' | undefined {
  for (const { transformFn } of storage.findTransformMetadatas(
    cls,
    key,
    TransformationType.PLAIN_TO_CLASS,
  )) {
    if (transformFn === keepAsSent) return 'limited';
    if (transformFn === keepAsSentCheckedElsewhere) return 'elsewhere';
  }
  return undefined;
}

function isFreeForm(cls: Constructor, key: string): boolean {
  return freeFormKind(cls, key) !== undefined;
}

function nestedClass(cls: Constructor, key: string): Constructor | undefined {
  return storage.findTypeMetadata(cls, key)?.typeFunction() as Constructor | undefined;
}

/**
 * True when class-transformer would build `cls` from a document by taking its members as
 * they are: none of `members` is of a nested class or transformed otherwise than by
 * `@FreeFormJson()`. Such a class's instance is the document's members on the class.
 */
export function takenAsSent(cls: Constructor, members: Iterable<string>): boolean {
  for (const key of members) {
    if (nestedClass(cls, key)) return false;
    const transforms = storage.findTransformMetadatas(cls, key, TransformationType.PLAIN_TO_CLASS);
    if (
      transforms.some(
        (t) => t.transformFn !== keepAsSent && t.transformFn !== keepAsSentCheckedElsewhere,
      )
    )
      return false;
  }
  return true;
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** The first NUL character or over-deep nesting under `value`, iteratively (no stack to overflow). */
function shapeError(value: unknown, path: string, maxDepth: number): FieldError | undefined {
  const stack: [unknown, string, number][] = [[value, path, 0]];
  while (stack.length > 0) {
    const [current, at, depth] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000'))
        return { field: at, message: 'must not contain a NUL character' };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) {
      return { field: path, message: `must not nest deeper than ${maxDepth} levels` };
    }
    if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, join(at, i), depth + 1]));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (key.includes('\u0000')) {
        return { field: at, message: 'must not contain a NUL character in a key' };
      }
      stack.push([item, join(at, key), depth + 1]);
    }
  }
  return undefined;
}

/** Keys the DTO would silently lose, outside free-form members. */
function reservedKeyErrors(cls: Constructor, plain: unknown, path: string): FieldError[] {
  if (plain === null || typeof plain !== 'object') return [];
  if (Array.isArray(plain))
    return plain.flatMap((item, i) => reservedKeyErrors(cls, item, join(path, i)));
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(plain)) {
    if (RESERVED_KEYS.has(key)) {
      errors.push({ field: join(path, key), message: `${key} should not exist` });
      continue;
    }
    const kind = freeFormKind(cls, key);
    if (kind === 'elsewhere') continue;
    if (kind === 'limited') {
      const size = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
      const deep = shapeError(value, join(path, key), MAX_FREE_FORM_DEPTH);
      if (deep) errors.push(deep);
      else if (size > MAX_FREE_FORM_BYTES) {
        errors.push({
          field: join(path, key),
          message: `${key} must be at most ${MAX_FREE_FORM_BYTES} bytes of JSON`,
        });
      }
      continue;
    }
    const nested = nestedClass(cls, key);
    if (nested) errors.push(...reservedKeyErrors(nested, value, join(path, key)));
  }
  return errors;
}

/**
 * What must be refused before class-transformer sees a document: a NUL character
 * anywhere (PostgreSQL cannot store it, and would only say so after retries), nesting
 * beyond the limits (class-transformer recurses and could overflow the stack), free-form
 * values over their size, and keys that a DTO would drop in silence.
 */
export function jsonInputErrors(cls: Constructor, plain: unknown): FieldError[] {
  const shape = shapeError(plain, '', MAX_DOCUMENT_DEPTH);
  if (shape) return [shape.field ? shape : { ...shape, field: '' }];
  return reservedKeyErrors(cls, plain, '');
}

type Path = (string | number)[];

function placeholderOf(value: unknown): unknown {
  if (Array.isArray(value)) return [];
  return value !== null && typeof value === 'object' ? {} : value;
}

function collectFreeForm(
  cls: Constructor,
  plain: unknown,
  path: Path,
  out: [Path, unknown][],
): void {
  if (plain === null || typeof plain !== 'object') return;
  if (Array.isArray(plain)) {
    plain.forEach((item, i) => collectFreeForm(cls, item, [...path, i], out));
    return;
  }
  for (const [key, value] of Object.entries(plain)) {
    if (isFreeForm(cls, key)) out.push([[...path, key], value]);
    else {
      const nested = nestedClass(cls, key);
      if (nested) collectFreeForm(nested, value, [...path, key], out);
    }
  }
}

function setAt(root: unknown, path: Path, value: unknown): void {
  let holder = root as Record<string | number, unknown> | undefined;
  for (const step of path.slice(0, -1)) holder = holder?.[step] as typeof holder;
  if (holder && typeof holder === 'object') holder[path[path.length - 1]] = value;
}

/**
 * Takes the free-form members out of a document (in place, leaving a stand-in of the
 * same JSON kind so that their validators still see an object, an array or the
 * primitive) so class-transformer never walks them: it reads `constructor` as a type and
 * would throw or drop keys. The returned function puts the very values sent back, into
 * the document and into what was built from it.
 */
export function detachFreeForm(cls: Constructor, plain: unknown): (built: unknown) => void {
  const detached: [Path, unknown][] = [];
  collectFreeForm(cls, plain, [], detached);
  for (const [path, value] of detached) setAt(plain, path, placeholderOf(value));
  return (built) => {
    for (const [path, value] of detached) {
      setAt(plain, path, value);
      setAt(built, path, value);
    }
  };
}
