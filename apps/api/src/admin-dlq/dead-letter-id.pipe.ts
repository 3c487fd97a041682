import type { PipeTransform } from '@nestjs/common';
import { validationFailed } from '../http/validation.js';

/** A dead letter's id is a positive integer; anything else is a 400, not a 404. */
export const DeadLetterIdParam: PipeTransform<unknown, number> = {
  transform(value: unknown): number {
    // The global pipe may already have converted the path segment to a number.
    const text = String(value);
    if (!/^[1-9]\d{0,17}$/.test(text)) {
      throw validationFailed([{ field: 'id', message: 'id must be a positive integer' }]);
    }
    return Number(text);
  },
};
