import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { etagMatches } from '#domain/etag';
import { tokenDigest } from '#config/access-tokens';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { audienceOf } from '../auth/secret-readers.js';
import { ProblemException } from '../http/problem.js';
import { preferredWait } from '../http/preferences.js';
import { LongPoll } from './long-poll.js';
import { retryHint, SYNC_FRAME, type StreamShape, type ViewFrame } from './view-frame.js';
import { ViewHub, type ViewTopic } from './view-hub.service.js';
import { ViewStream, type WatchedView } from './view-stream.js';
import { WatchLimits } from './watch-limits.js';
import { WatchMetrics } from './watch.metrics.js';

export const MAX_POLL_WAIT_SECONDS = 60;

/** How a request to the effective view wants it: at once, streamed, or held until it changes. */
export type EffectiveMode = 'now' | 'stream' | 'poll';

/** Serves the watch side of the effective view: streams of one or many views, and long polls. */
@Injectable()
export class WatchStreams {
  constructor(
    private readonly hub: ViewHub,
    private readonly limits: WatchLimits,
    private readonly metrics: WatchMetrics,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  mode(request: AuthenticatedRequest): EffectiveMode {
    if (request.headers.accept?.includes('text/event-stream')) return 'stream';
    if (request.headers['if-none-match'] && pollWait(request.headers.prefer) !== undefined)
      return 'poll';
    return 'now';
  }

  /** `Accept: text/event-stream` on one view: its current state (unless the client holds it), then every change. */
  async streamView(
    slug: string,
    env: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
  ): Promise<void> {
    await this.stream([slug], env, request, reply, 'single');
  }

  /** `/v1/watch`: the current views of all the slugs, `sync`, then their changes. */
  async streamMany(
    slugs: string[],
    env: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
  ): Promise<void> {
    await this.stream(slugs, env, request, reply, 'multi');
  }

  /** `If-None-Match` + `Prefer: wait=N`: 200 once the ETag differs, 304 at the deadline. */
  async longPoll(
    slug: string,
    env: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const wait = pollWait(request.headers.prefer) ?? 0;
    const ifNoneMatch = String(request.headers['if-none-match']);
    const release = this.limits.acquire(tokenOf(request));
    let topic: ViewTopic | undefined;
    try {
      topic = await this.hub.prepare(slug, env, audienceOf(request.grant));
      void reply.header('preference-applied', `wait=${wait}`);
      const current = topic.frame!;
      if (current.etag === undefined || !etagMatches(ifNoneMatch, current.etag)) {
        this.hub.abandon(topic);
        return sendFrame(reply, current);
      }
      const poll = new LongPoll(ifNoneMatch, current.etag, wait * 1000);
      this.hub.join(topic, poll);
      this.metrics.longPolls.inc();
      reply.raw.once('close', () => poll.cancel());
      const changed = await poll.settled;
      this.metrics.longPolls.dec();
      this.hub.leave(topic, poll);
      if (changed) return sendFrame(reply, changed);
      void reply
        .header('etag', current.etag)
        .header('cache-control', 'no-cache')
        .status(304)
        .send();
    } finally {
      release();
    }
  }

  private async stream(
    slugs: string[],
    env: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
    shape: StreamShape,
  ): Promise<void> {
    const release = this.limits.acquire(tokenOf(request));
    let topics: ViewTopic[];
    try {
      topics = await this.prepareAll(slugs, env, request);
    } catch (error) {
      release();
      throw error;
    }
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    response.socket?.setNoDelay(true);
    const stream = new ViewStream(response, shape);
    const initial: [WatchedView, ViewFrame][] = [];
    const lastEventId = request.headers['last-event-id'];
    for (const topic of topics) {
      this.hub.join(topic, stream);
      const frame = topic.frame!;
      if (shape === 'single' && frame.eventId !== undefined && frame.eventId === lastEventId)
        stream.assume(topic, frame.etag);
      else initial.push([topic, frame]);
    }
    stream.open(retryHint(this.config.watch.retryMs), initial, shape === 'multi' ? SYNC_FRAME : '');
    this.hub.track(stream);
    this.metrics.streams.inc();
    response.once('close', () => {
      for (const topic of topics) this.hub.leave(topic, stream);
      this.hub.untrack(stream);
      this.metrics.streams.dec();
      release();
    });
  }

  private async prepareAll(
    slugs: string[],
    env: string,
    request: AuthenticatedRequest,
  ): Promise<ViewTopic[]> {
    const audience = audienceOf(request.grant);
    const settled = await Promise.allSettled(
      slugs.map((slug) => this.hub.prepare(slug, env, audience)),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<ViewTopic>).value);
    for (const s of settled) if (s.status === 'fulfilled') this.hub.abandon(s.value);
    throw failed.reason;
  }
}

function sendFrame(reply: FastifyReply, frame: ViewFrame): void {
  if (frame.json === undefined || frame.etag === undefined)
    throw new ProblemException(404, `Service ${frame.slug} does not exist`);
  void reply
    .header('etag', frame.etag)
    .header('cache-control', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(frame.json);
}

/** `Prefer: wait=N` on a read, capped at 60 s. */
function pollWait(header: string | string[] | undefined): number | undefined {
  return preferredWait(header, MAX_POLL_WAIT_SECONDS);
}

/** Streams are counted per token, known by its digest as everywhere else. */
function tokenOf(request: AuthenticatedRequest): string {
  return tokenDigest(request.headers.authorization?.slice('Bearer '.length).trim() ?? '');
}
