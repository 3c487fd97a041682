import { Equals, IsISO8601, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { SCHEMA_VERSION } from './event.model.js';

/** What every envelope on `governance.events` carries, whatever its type. */
export class EnvelopeDto {
  @IsUUID()
  id: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  actor: string;

  @IsISO8601({ strict: true })
  occurredAt: string;

  @Equals(SCHEMA_VERSION)
  schemaVersion: number;
}
