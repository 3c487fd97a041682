import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { eventually } from '../../../../test/support/eventually.js';
import { HEARTBEAT, httpChunk, ViewFrame } from './view-frame.js';
import { ViewStream, type WatchedView } from './view-stream.js';

/** What a real HTTP client reads of one stream: the raw body, decoded by Node's parser. */
class Reader {
  body = '';
  ended = false;
  response?: http.IncomingMessage;

  constructor(port: number) {
    http.get({ port, host: '127.0.0.1', path: '/' }, (response) => {
      this.response = response;
      response.setEncoding('utf8');
      response.on('data', (text: string) => (this.body += text));
      response.on('end', () => (this.ended = true));
    });
  }

  /** The `data:` of every `event: view`, in order. */
  get views(): string[] {
    return [...this.body.matchAll(/event: view\ndata: (.*)\n\n/g)].map((m) => m[1]);
  }
}

const view: WatchedView = { slug: 'checkout', env: 'prod' };
const frameOf = (version: number, padding = '') =>
  ViewFrame.view(
    'checkout',
    'prod',
    `"${version}"`,
    JSON.stringify({ version, note: padding, name: 'Bestellübersicht' }),
  );

describe(ViewStream.name, () => {
  let server: http.Server;
  let port: number;
  const opened: ViewStream[] = [];

  beforeEach(async () => {
    opened.length = 0;
    server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      opened.push(new ViewStream(response, 'single'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const stream of opened) stream.end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const connect = async (count: number): Promise<{ readers: Reader[]; streams: ViewStream[] }> => {
    const readers: Reader[] = [];
    for (let i = 0; i < count; i++) {
      readers.push(new Reader(port));
      await eventually(() => expect(opened).toHaveLength(i + 1));
    }
    return { readers, streams: [...opened] };
  };

  it('sends the start, every change and heartbeats as one well-formed chunked body', async () => {
    const { readers, streams } = await connect(1);
    const [reader] = readers;
    const [stream] = streams;
    stream.open('retry: 1000\n\n', [[view, frameOf(1)]]);
    stream.deliver(view, frameOf(2));
    stream.heartbeat();
    stream.deliver(view, ViewFrame.absent('checkout', 'prod'));
    await eventually(() => expect(reader.body).toContain('event: absent'));
    stream.end();
    await eventually(() => expect(reader.ended).toBe(true));
    expect(reader.response?.headers['transfer-encoding']).toBe('chunked');
    expect(reader.body).toBe(
      'retry: 1000\n\n' +
        `id: 1\nevent: view\ndata: ${frameOf(1).json}\n\n` +
        `id: 2\nevent: view\ndata: ${frameOf(2).json}\n\n` +
        ': heartbeat\n\n' +
        'event: absent\ndata: {"slug":"checkout"}\n\n',
    );
    expect(stream.held(view)).toBeUndefined();
  });

  it('gives a stalled reader only the latest view once it reads again, and the others every change meanwhile', async () => {
    const { readers, streams } = await connect(2);
    const [stalled, brisk] = readers;
    for (const stream of streams) stream.open('retry: 1000\n\n', [[view, frameOf(1)]]);
    await eventually(() => expect(stalled.views).toHaveLength(1));
    stalled.response?.pause();
    // 1 MiB a change: the stalled socket's buffers fill within a few.
    const padding = 'x'.repeat(1024 * 1024);
    const changes = 40;
    for (let version = 2; version <= changes + 1; version++) {
      const frame = frameOf(version, padding);
      for (const stream of streams) stream.deliver(view, frame);
      await eventually(() => expect(streams[1].held(view)).toBe(frame.etag));
    }
    await eventually(() => expect(brisk.views).toHaveLength(changes + 1));
    expect(streams[0].held(view)).not.toBe(`"${changes + 1}"`);
    stalled.response?.resume();
    await eventually(() => expect(streams[0].held(view)).toBe(`"${changes + 1}"`));
    await eventually(() => expect(stalled.body).toContain(`"version":${changes + 1}`));
    expect(stalled.views.length).toBeLessThan(changes);
    const versions = stalled.views.map((data) => (JSON.parse(data) as { version: number }).version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});

describe(`${ViewStream.name} pipelined behind another response`, () => {
  it('starts once the response before it has been sent, and loses no change meanwhile', async () => {
    let stream: ViewStream | undefined;
    let finishFirst = () => undefined as void;
    const server = http.createServer((request, response) => {
      if (request.url === '/first') {
        finishFirst = () => response.end('first done');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      stream = new ViewStream(response, 'single');
      stream.open('retry: 1000\n\n', [[view, frameOf(1)]]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (bytes: Buffer) => (received += bytes.toString('utf8')));
    try {
      socket.write(`GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /stream HTTP/1.1\r\nHost: x\r\n\r\n`);
      await eventually(() => expect(stream).toBeDefined());
      stream!.deliver(view, frameOf(2));
      finishFirst();
      await eventually(() => expect(received).toContain(`data: ${frameOf(2).json}`));
      expect(received.indexOf('first done')).toBeLessThan(received.indexOf('text/event-stream'));
      expect(received.indexOf(`data: ${frameOf(1).json}`)).toBeLessThan(
        received.indexOf(`data: ${frameOf(2).json}`),
      );
      expect(stream!.held(view)).toBe(frameOf(2).etag);
    } finally {
      socket.destroy();
      stream?.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe(httpChunk.name, () => {
  it('counts the bytes of the text, not its characters', () => {
    expect(httpChunk('grüße').toString('utf8')).toBe('7\r\ngrüße\r\n');
    expect(HEARTBEAT.toString('latin1')).toBe('d\r\n: heartbeat\n\n\r\n');
  });
});
