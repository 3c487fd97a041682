import { Injectable } from '@nestjs/common';
import type { EventType } from '#domain/event.model';
import { EventGateway } from './event-gateway.service.js';
import { answerWrite, type WriteAnswer } from './write-responder.js';
import type { WriteContext } from './write-context.decorator.js';

/** The one path from a write handler to its HTTP answer: submit the event, then answer it. */
@Injectable()
export class WritesService {
  constructor(private readonly gateway: EventGateway) {}

  /**
   * `data` is the body plus the path's identifiers: exactly the event's data. `load` reads
   * back what an applied write answers; without it, a `204` (removals).
   */
  async submit(
    context: WriteContext,
    type: EventType,
    data: object,
    load?: WriteAnswer['load'],
  ): Promise<unknown> {
    const submitted = await this.gateway.submit(
      {
        type,
        data: { ...data },
        actor: context.actor,
        grant: context.grant,
        expectedVersion: context.expectedVersion,
        requestId: context.requestId,
      },
      context.waitSeconds,
    );
    return answerWrite(context.reply, submitted, context.waitSeconds, {
      creates: context.creates,
      load,
    });
  }
}
