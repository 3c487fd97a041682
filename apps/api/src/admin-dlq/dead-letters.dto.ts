import { PageQueryDto } from '../http/page-query.dto.js';

/** `GET /admin/dlq`: newest first, paged like every list. */
export class DeadLetterPageQueryDto extends PageQueryDto {}

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
