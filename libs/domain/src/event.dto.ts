import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { ReasonDto, RegisterServiceDto, UpdateServiceDto } from './service.dto.js';
import { SetConfigDto, RollbackConfigDto } from './config.dto.js';
import { SetDefaultPolicyDto, SetPolicyDto } from './policy.dto.js';
import { EVENT_TYPES, type EventType } from './event.model.js';
import { SLUG_PATTERN } from './service.model.js';
import { ANY_ENV, ENV_PATTERN, POLICY_TYPES, type PolicyType } from './policy.model.js';
import { CONFIG_KEY_PATTERN } from './config.model.js';
import { FreeFormJson } from './json-limits.js';
import { EnvelopeDto } from './envelope.dto.js';
import { isEncryptedValue, type EncryptedValue } from './secret-value.js';

const AGGREGATE_PATTERN = /^(service:[a-z][a-z0-9-]{1,62}|defaults:[a-z-]{1,32})$/;

export class EventEnvelopeDto extends EnvelopeDto {
  @IsIn(EVENT_TYPES)
  type: EventType;

  @Matches(AGGREGATE_PATTERN, { message: 'aggregate must be service:{slug} or defaults:{type}' })
  aggregate: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  expectedVersion?: number;

  /** Checked separately against the data class of `type` (see EVENT_DATA). */
  @IsObject()
  @FreeFormJson({ checkedElsewhere: true })
  data: Record<string, unknown>;
}

const slugRule = () => Matches(SLUG_PATTERN, { message: 'slug must match ^[a-z][a-z0-9-]{1,62}$' });
const typeRule = () => IsIn(POLICY_TYPES);
const envRule = () =>
  Matches(ENV_PATTERN, { message: 'env must be an environment name (^[a-z][a-z0-9-]{0,31}$)' });
const policyEnvRule = () =>
  Matches(new RegExp(`^(\\${ANY_ENV}|${ENV_PATTERN.source.slice(1, -1)})$`), {
    message: 'env must be "*" or an environment name',
  });
const keyRule = () =>
  Matches(CONFIG_KEY_PATTERN, { message: 'key must match ^[a-zA-Z0-9._-]{1,128}$' });

// The data of each event is the body of the matching HTTP write plus the path's
// identifiers, so one class validates both edges.

export class ServiceRegisteredData extends RegisterServiceDto {}

export class ServiceUpdatedData extends UpdateServiceDto {
  @slugRule()
  slug: string;
}

export class ServiceDeletedData extends ReasonDto {
  @slugRule()
  slug: string;
}

export class PolicySetData extends SetPolicyDto {
  @slugRule()
  slug: string;

  @typeRule()
  type: PolicyType;
}

export class PolicyRemovedData extends ReasonDto {
  @slugRule()
  slug: string;

  @typeRule()
  type: PolicyType;

  @policyEnvRule()
  env: string;
}

export class DefaultPolicySetData extends SetDefaultPolicyDto {
  @typeRule()
  type: PolicyType;
}

export class ConfigSetData extends SetConfigDto {
  @slugRule()
  slug: string;

  @envRule()
  env: string;

  @keyRule()
  key: string;

  // A secret's value as the API publishes it: encrypted, in place of `value`, so the
  // plaintext never sits in the log. Another producer may send `value` with `secret`:
  // the worker encrypts it before anything stores it.
  @ValidateIf((data: ConfigSetData) => data.encryptedValue === undefined)
  override value: unknown;

  @ValidateIf((data: ConfigSetData) => data.encryptedValue !== undefined)
  @ValidateBy({
    name: 'encryptedSecret',
    validator: {
      validate: (encrypted: unknown, args) => {
        const data = args?.object as ConfigSetData;
        return isEncryptedValue(encrypted) && data.secret === true && data.value === undefined;
      },
      defaultMessage: () =>
        'encryptedValue must be { alg: "A256GCM", iv, tag, ciphertext } (base64), with secret: true and no value',
    },
  })
  @FreeFormJson()
  encryptedValue?: EncryptedValue;
}

export class ConfigRolledBackData extends RollbackConfigDto {
  @slugRule()
  slug: string;

  @envRule()
  env: string;

  @keyRule()
  key: string;
}

export class ConfigDeletedData extends ReasonDto {
  @slugRule()
  slug: string;

  @envRule()
  env: string;

  @keyRule()
  key: string;
}

/**
 * The HTTP write bodies that are exactly an event's data less the path's identifiers (their
 * data classes extend them). The API checks such a body once, with the path, as the
 * event's data (`validateEventData`), not once as a body and again as data; before that
 * its edge refuses only the members the body class lacks (`membersOutside`): an
 * `encryptedValue` or a path identifier is never a body's to send.
 */
export const BODIES_CHECKED_AS_DATA: ReadonlySet<abstract new () => object> = new Set([
  RegisterServiceDto,
  UpdateServiceDto,
  SetPolicyDto,
  SetDefaultPolicyDto,
  SetConfigDto,
  RollbackConfigDto,
]);

export interface EventDataByType {
  'service.registered': ServiceRegisteredData;
  'service.updated': ServiceUpdatedData;
  'service.deleted': ServiceDeletedData;
  'policy.set': PolicySetData;
  'policy.removed': PolicyRemovedData;
  'default-policy.set': DefaultPolicySetData;
  'config.set': ConfigSetData;
  'config.rolled-back': ConfigRolledBackData;
  'config.deleted': ConfigDeletedData;
}

export const EVENT_DATA: { [T in EventType]: new () => EventDataByType[T] } = {
  'service.registered': ServiceRegisteredData,
  'service.updated': ServiceUpdatedData,
  'service.deleted': ServiceDeletedData,
  'policy.set': PolicySetData,
  'policy.removed': PolicyRemovedData,
  'default-policy.set': DefaultPolicySetData,
  'config.set': ConfigSetData,
  'config.rolled-back': ConfigRolledBackData,
  'config.deleted': ConfigDeletedData,
};
