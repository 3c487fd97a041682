import { IsISO8601 } from 'class-validator';
import { ReasonDto } from '#domain/service.dto';

export class ReplayRequestDto extends ReasonDto {
  /** Where in the log the rebuild starts; the log must hold nothing older. */
  @IsISO8601({ strict: true })
  from: string;
}
