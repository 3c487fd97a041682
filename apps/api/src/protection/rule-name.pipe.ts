import type { PipeTransform } from '@nestjs/common';
import { PROTECTION_RULE_NAME_PATTERN } from '#domain/protection.dto';
import { validationFailed } from '../http/validation.js';

/** A rule's name in the path: a bad one is a 400. */
export const RuleNameParam: PipeTransform<string, string> = {
  transform(value: string): string {
    if (typeof value !== 'string' || !PROTECTION_RULE_NAME_PATTERN.test(value))
      throw validationFailed([
        { field: 'name', message: 'name must match ^[a-z][a-z0-9-]{1,62}$' },
      ]);
    return value;
  },
};
