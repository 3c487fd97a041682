import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

export class DeadLetterPageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** Opaque: the `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** A dead letter as `GET /admin/dlq` lists it. */
export interface DeadLetterView {
  id: string;
  eventId?: string;
  reason: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  requestId?: string;
  /** The original bytes: UTF-8 text when they are, base64 otherwise. */
  payload: string | null;
  payloadEncoding: 'utf8' | 'base64';
  createdAt: string;
  redrivenAt?: string;
  redriveCount: number;
}
