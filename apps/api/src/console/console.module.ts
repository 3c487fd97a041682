import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.js';

/** Where `npm run build` puts the console (apps/console/vite.config.ts): dist/apps/console. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../../console/', import.meta.url));

/**
 * Serves the built admin console at /console. Its files are public (the console asks for
 * a token and sends it with every API call); any path under /console that is not a file
 * answers index.html, so deep links such as /console/services/checkout open the page.
 * The API does not import the console's source: it only serves what was built.
 */
function notFound(reply: FastifyReply, detail: string) {
  return reply
    .status(404)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail }));
}

export async function serveConsole(fastify: FastifyInstance, root = CONSOLE_ROOT): Promise<void> {
  await fastify.register(fastifyStatic, { root, serve: false, decorateReply: true });
  const page = (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    const wanted = request.params['*'] ?? '';
    const file = path.resolve(root, wanted);
    const isFile =
      wanted !== '' && file.startsWith(root) && existsSync(file) && statSync(file).isFile();
    // A missing built file is a 404; any other path is a page of the console.
    if (!isFile && (wanted.startsWith('assets/') || !existsSync(path.join(root, 'index.html')))) {
      return notFound(
        reply,
        wanted.startsWith('assets/')
          ? `No file ${wanted} in the console`
          : 'The console is not built: run npm run build',
      );
    }
    if (isFile) {
      // Built asset names carry their content hash.
      const immutable = wanted.startsWith('assets/');
      return reply.sendFile(wanted, {
        cacheControl: true,
        maxAge: immutable ? 31_536_000_000 : 0,
        immutable,
      });
    }
    return reply
      .header('cache-control', 'no-cache')
      .sendFile('index.html', { cacheControl: false });
  };
  fastify.get('/console', page);
  fastify.get('/console/*', page);
}

@Module({})
export class ConsoleModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    await serveConsole(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
