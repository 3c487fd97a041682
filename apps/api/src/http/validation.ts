import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { detachFreeForm, jsonInputErrors } from '#domain/json-limits';
import { flattenValidationErrors, type FieldError } from '#domain/validation';
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
    if (metadata.type === 'custom' || metadata.type === 'param') {
      return super.transform(value, metadata);
    }
    const metatype = metadata.metatype ?? Object;
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

  protected override stripProtoKeys(): void {
    // Refused above where they would be lost; kept as data in free-form values.
  }
}

/** Bodies, queries and paths: whitelist, no unknown fields, conversion; errors name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ExactInputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
