import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../api.constants.js';

/** Watchers and deliveries on `/metrics`, registered on the API's registry. */
@Injectable()
export class WatchMetrics {
  readonly streams: Gauge;
  readonly longPolls: Gauge;
  readonly deliveries: Counter;
  readonly rejected: Counter;
  readonly fanOut: Histogram;
  readonly behind: Gauge;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.streams = new Gauge({
      name: 'warden_watch_streams',
      help: 'Open watch streams (SSE) on this instance',
      registers,
    });
    this.longPolls = new Gauge({
      name: 'warden_watch_long_polls',
      help: 'Long polls held on this instance',
      registers,
    });
    this.deliveries = new Counter({
      name: 'warden_watch_deliveries_total',
      help: 'Views handed to watchers (a slow watcher gets only the latest)',
      registers,
    });
    this.rejected = new Counter({
      name: 'warden_watch_rejected_total',
      help: 'Streams and long polls refused by a limit (503)',
      labelNames: ['limit'] as const,
      registers,
    });
    this.fanOut = new Histogram({
      name: 'warden_watch_fanout_seconds',
      help: 'From hearing a change to having written the new view to every watcher of it',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.behind = new Gauge({
      name: 'warden_watch_behind',
      help: 'Watchers on this instance whose reader does not yet hold the current view',
      registers,
    });
  }
}
