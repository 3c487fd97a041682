import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';

/**
 * Baseline (a) of the read-path benchmark: Fastify alone, answering a constant JSON
 * document (the bytes of a real effective view, given in BARE_DOCUMENT) with the headers
 * Warden sends, a request id made the way Warden makes it included: the same bytes on the
 * wire. Whatever Warden costs beyond this is Warden's.
 */
const document = process.env.BARE_DOCUMENT ?? '{}';
const idPrefix = randomBytes(6).toString('hex');
let issued = 0;
const app = Fastify({ logger: false });
app.get('/*', (_request, reply) => {
  void reply
    .header('x-request-id', `${idPrefix}-${(++issued).toString(36)}`)
    .header('etag', '"e1.1"')
    .header('cache-control', 'no-cache')
    .header('vary', 'authorization')
    .type('application/json; charset=utf-8')
    .send(document);
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
