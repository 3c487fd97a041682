import { ValidationPipe, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { detachFreeForm, jsonInputErrors } from '#domain/json-limits';
import { flattenValidationErrors, type FieldError } from '#domain/validation';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN, isPolicyType } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';
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
    // A custom parameter (the write context) is built by the server, not sent.
    if (metadata.type === 'custom') return super.transform(value, metadata);
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

/** Bodies and queries: whitelist, no unknown fields, conversion; errors name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ExactInputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}

/** Checks one path parameter against a pattern: a bad path parameter is a 400. */
class PathParamPipe implements PipeTransform<string, string> {
  constructor(
    private readonly name: string,
    private readonly test: (value: string) => boolean,
    private readonly rule: string,
  ) {}

  transform(value: string): string {
    if (typeof value !== 'string' || !this.test(value)) {
      throw validationFailed([{ field: this.name, message: `${this.name} ${this.rule}` }]);
    }
    return value;
  }
}

export const SlugParam = new PathParamPipe(
  'slug',
  (v) => SLUG_PATTERN.test(v),
  'must match ^[a-z][a-z0-9-]{1,62}$',
);
export const EnvParam = new PathParamPipe(
  'env',
  (v) => ENV_PATTERN.test(v),
  'must match ^[a-z][a-z0-9-]{0,31}$',
);
export const KeyParam = new PathParamPipe(
  'key',
  (v) => CONFIG_KEY_PATTERN.test(v),
  'must match ^[a-zA-Z0-9._-]{1,128}$',
);
export const PolicyTypeParam = new PathParamPipe(
  'type',
  isPolicyType,
  'must be rate-limit, quota, access or circuit-breaker',
);
export const ChangeRequestIdParam = new PathParamPipe(
  'id',
  (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  'must be a UUID',
);
export const EventIdParam = new PathParamPipe(
  'eventId',
  (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  'must be a UUID',
);
