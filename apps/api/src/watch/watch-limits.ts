import { Inject, Injectable } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { ProblemException } from '../http/problem.js';
import { WatchMetrics } from './watch.metrics.js';

/** Open streams and long polls per token and per instance (WATCH_MAX_PER_*). */
@Injectable()
export class WatchLimits {
  private readonly perToken = new Map<string, number>();
  private total = 0;

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    private readonly metrics: WatchMetrics,
  ) {}

  /** Takes one slot for `token`, or answers 503 with Retry-After; returns its release. */
  acquire(token: string): () => void {
    const { maxPerInstance, maxPerToken } = this.config.watch;
    const held = this.perToken.get(token) ?? 0;
    if (this.total >= maxPerInstance) throw this.refuse('instance', maxPerInstance);
    if (held >= maxPerToken) throw this.refuse('token', maxPerToken);
    this.perToken.set(token, held + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perToken.get(token) ?? 1) - 1;
      if (left > 0) this.perToken.set(token, left);
      else this.perToken.delete(token);
    };
  }

  private refuse(limit: 'token' | 'instance', max: number): ProblemException {
    this.metrics.rejected.labels(limit).inc();
    const detail =
      limit === 'token'
        ? `This token already holds ${max} watches on this instance (WATCH_MAX_PER_TOKEN)`
        : `This instance already holds ${max} watches (WATCH_MAX_PER_INSTANCE); retry, possibly on another instance`;
    return new ProblemException(503, detail, { headers: { 'retry-after': '5' } });
  }
}
