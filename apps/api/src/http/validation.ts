import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { detachFreeForm, jsonInputErrors } from '#domain/json-limits';
import { BODIES_CHECKED_AS_DATA } from '#domain/event.dto';
import {
  EXACT_MEMBERS,
  NOT_AN_OBJECT,
  flattenValidationErrors,
  isJsonObject,
  membersOutside,
  type FieldError,
} from '#domain/validation';
import { ProblemException } from './problem.js';

export function validationFailed(errors: FieldError[]): ProblemException {
  return new ProblemException(400, 'The request is not valid: see errors', {
    errors,
    type: 'https://warden.dev/problems/validation',
  });
}

/**
 * Nest's pipe, but input is kept exactly or refused: what class-transformer would drop
 * or choke on (a NUL, nesting too deep, `constructor`/`__proto__` keys outside free-form
 * values) is a 400 first, and free-form values are not stripped of those keys — they are
 * data there, taken as sent by `@FreeFormJson()`, and never merged into an object.
 */
class ExactInputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A custom parameter (the write context) is built by the server, not sent; path
    // parameters are single segments the router cut, refused by their own patterns.
    if (metadata.type === 'custom') return super.transform(value, metadata);
    if (metadata.type === 'param') return this.pathOf(value, metadata);
    const metatype = metadata.metatype ?? Object;
    if (metadata.type === 'body' && BODIES_CHECKED_AS_DATA.has(metatype)) {
      return bodyOfEventData(metatype, value);
    }
    const errors = jsonInputErrors(metatype, value);
    if (errors.length > 0) throw validationFailed(errors);
    const restore = detachFreeForm(metatype, value);
    let built: unknown;
    try {
      built = await super.transform(value, metadata);
    } finally {
      restore(undefined);
    }
    restore(built);
    return built;
  }

  /**
   * A path class's members are strings the router cut, with patterns and no nested
   * types: class-validator checks them on the class's instance as they are, without
   * class-transformer's copy or the pipe's asynchronous round (7 % of the API's CPU
   * per write went to checking the path that way). Synchronously: a path class has no
   * asynchronous rule.
   */
  private pathOf(value: unknown, metadata: ArgumentMetadata): unknown {
    const metatype = metadata.metatype;
    if (!metatype || PRIMITIVES.has(metatype) || value === null || typeof value !== 'object') {
      return super.transform(value, metadata);
    }
    const path = Object.assign(new (metatype as new () => object)(), value);
    const errors = validateSync(path, EXACT_MEMBERS);
    if (errors.length > 0) throw validationFailed(flattenValidationErrors(errors));
    return path;
  }

  protected override stripProtoKeys(): void {
    // Refused above where they would be lost; kept as data in free-form values.
  }
}

/**
 * A write body that the event gateway checks whole, as the event's data with the path
 * (`BODIES_CHECKED_AS_DATA`, by `validatePlain`, which refuses a NUL, deep nesting and
 * oversized values first): here only what no event data may hold is refused. It is
 * passed on as sent, which is what its data is made of either way.
 */
function bodyOfEventData(metatype: new () => object, sent: unknown): object {
  // No body at all is an empty one, as Nest's pipe takes it: a merge patch of nothing,
  // or a body whose required members the data's check names.
  const value = sent ?? {};
  if (!isJsonObject(value)) throw validationFailed([NOT_AN_OBJECT]);
  const outside = membersOutside(metatype, value);
  if (outside.length > 0) throw validationFailed(outside);
  return value;
}

/** The metatypes Nest's pipe does not validate as classes. */
const PRIMITIVES = new Set<unknown>([String, Number, Boolean, Array, Object, Buffer, Date]);

/** Bodies, queries and paths: whitelist, no unknown fields, conversion; errors name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ExactInputValidationPipe({
    ...EXACT_MEMBERS,
    transform: true,
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
