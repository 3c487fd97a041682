import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ReasonDto } from '#domain/service.dto';
import { AcceptedWriteSchema, ProblemSchema } from './response.schemas.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } },
});

const etagHeader = {
  ETag: { description: 'The version of what was answered', schema: { type: 'string' } },
};

/** The problem document that a 400 answers, naming each invalid field. */
export const ApiValidationProblem = () =>
  ApiBadRequestResponse(problem('A parameter or the body is not valid: `errors` names each field'));

/**
 * A write that becomes an event: `202` once Kafka has it; with `Prefer: wait=N` the
 * worker's outcome instead (the resource, or a `204` for a removal; `404`/`409`/`422`
 * for a rejection). A write without a resource is a removal, whose body is optional: only a
 * change message.
 */
export function ApiEventWrite(options: { resource?: Type<unknown>; creates?: boolean }) {
  const outcome = !options.resource
    ? [
        ApiBody({
          type: ReasonDto,
          required: false,
          description: 'An optional change message for the audit',
        }),
        ApiNoContentResponse({ description: 'Applied (with `Prefer: wait`)' }),
      ]
    : [
        ApiOkResponse({
          type: options.resource,
          description: 'Applied (with `Prefer: wait`): the resource as it is now',
          headers: etagHeader,
        }),
        ...(options.creates
          ? [
              ApiCreatedResponse({
                type: options.resource,
                description: 'Applied and created (with `Prefer: wait`)',
              }),
            ]
          : []),
      ];
  return applyDecorators(
    ApiHeader({
      name: 'Prefer',
      required: false,
      description:
        '`wait=N` (N ≤ 30 seconds): answer with the outcome once the worker applied or rejected the event',
    }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'The version the write expects (an ETag such as `"3"`); the worker rejects it with 409 if the version moved',
    }),
    ApiAcceptedResponse({
      type: AcceptedWriteSchema,
      description:
        'Accepted: Kafka acknowledged the event; `Location` is its status at /v1/events/{eventId}',
      headers: { Location: { schema: { type: 'string' } } },
    }),
    ...outcome,
    ApiValidationProblem(),
    ApiNotFoundResponse(
      problem(
        'Rejected by the worker (with `Prefer: wait`): what the write refers to does not exist',
      ),
    ),
    ApiConflictResponse(
      problem(
        'Rejected by the worker (with `Prefer: wait`): the version moved (`If-Match`) or it already exists',
      ),
    ),
    ApiUnprocessableEntityResponse(
      problem('Rejected by the worker (with `Prefer: wait`): a rule of the domain forbids it'),
    ),
    ApiServiceUnavailableResponse(
      problem('Kafka is unavailable: the write was not accepted; retry after `Retry-After`'),
    ),
  );
}

/** A read answered with an ETag, honouring `If-None-Match`; `notFound` says when it answers 404. */
export function ApiTaggedRead(resource: Type<unknown>, notFound?: string) {
  return applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'An ETag from an earlier answer: 304 if nothing changed',
    }),
    ApiOkResponse({ type: resource, headers: etagHeader }),
    ApiNotModifiedResponse({ description: 'Unchanged since the ETag in `If-None-Match`' }),
    ...(notFound ? [ApiNotFoundResponse(problem(notFound))] : []),
  );
}
