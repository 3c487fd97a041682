import {
  Catch,
  HttpException,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { ProblemException, PROBLEM_CONTENT_TYPE, problemOf, type Problem } from './problem.js';
import { LOGGER } from '#observability/observability.constants';

/** Every failure leaves the API as `application/problem+json`; nothing leaks a stack. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { problem, headers } = toProblem(exception);
    if (problem.status >= 500) this.log.error({ err: exception }, 'request failed');
    void reply
      .status(problem.status)
      .headers(headers)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }
}

/** Maps Nest's, Fastify's and our own errors to a problem document. */
export function toProblem(exception: unknown): {
  problem: Problem;
  headers: Record<string, string>;
} {
  if (exception instanceof ProblemException) {
    return { problem: exception.problem, headers: exception.headers };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? String(response.message)
        : exception.message;
    return { problem: problemOf(status, message), headers: {} };
  }
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    const detail =
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The request body is larger than 256 KiB'
        : fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'The request body must be application/json'
          : fastifyError.message?.startsWith('Body is not valid JSON') ||
              fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
              exception instanceof SyntaxError
            ? `The request body is not valid JSON: ${fastifyError.message}`
            : (fastifyError.message ?? 'Bad request');
    return { problem: problemOf(fastifyError.statusCode, detail), headers: {} };
  }
  return { problem: problemOf(500, 'An unexpected error occurred'), headers: {} };
}
