import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { ReasonDto } from './service.dto.js';
import { MAX_CONFIG_VALUE_BYTES, jsonSize } from './config.model.js';
import { FreeFormJson } from './json-limits.js';

function MaxJsonSize(bytes: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxJsonSize',
      validator: {
        validate: (value: unknown) => jsonSize(value) <= bytes,
        defaultMessage: () => `value must be at most ${bytes} bytes of JSON`,
      },
    },
    options,
  );
}

/** The body of a configuration entry's `DELETE`: only the optional change message. */
export class SetConfigDto extends ReasonDto {
  /** Any JSON value, `null` included; only its size is limited. */
  @ValidateBy({
    name: 'present',
    validator: {
      validate: (value: unknown) => value !== undefined,
      defaultMessage: () => 'value is required (any JSON value, null included)',
    },
  })
  @MaxJsonSize(MAX_CONFIG_VALUE_BYTES)
  @FreeFormJson()
  value: unknown;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  /**
   * A secret's value reads as `"***"` for tokens without the `secrets` scope and is
   * stored encrypted. It holds for the version written: an entry that is secret stays
   * so only when each write says so again (a write that omits it is refused).
   */
  @IsOptional()
  @IsBoolean()
  secret?: boolean;
}

export class RollbackConfigDto extends ReasonDto {
  @IsInt()
  @Min(1)
  toVersion: number;
}
