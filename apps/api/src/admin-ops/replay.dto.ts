import { IsISO8601 } from 'class-validator';

export class ReplayRequestDto {
  /** Where in the log the rebuild starts; the log must hold nothing older. */
  @IsISO8601({ strict: true })
  from: string;
}
