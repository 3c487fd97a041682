import { Catch, type ExceptionFilter } from '@nestjs/common';
import {
  BaseRpcContext,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import { EventConsumer, type ConsumerOptions, type IncomingMessage } from './event-consumer.js';

/** The patterns a handler of the event log declares with `@EventPattern`. */
export const EventLogPatterns = {
  /**
   * A run of messages to be applied together: consecutive messages of one partition, or
   * such runs of several partitions merged (the partition in the context is the first's).
   */
  Run: 'event-log.run',
  /** A message that failed permanently or too often: set it aside. */
  Poison: 'event-log.poison',
} as const;

export const EVENT_LOG_TRANSPORT = Symbol('warden-event-log');

/** The payload of `EventLogPatterns.Poison`. */
export interface PoisonMessage {
  message: IncomingMessage;
  reason: string;
}

/** What a handler of the event log can reach besides its payload (`@Ctx()`). */
export class EventRunContext extends BaseRpcContext<[number, () => Promise<void>]> {
  getPartition(): number {
    return this.args[0];
  }

  /** Keeps the partition while a long run is applied. */
  getHeartbeat(): () => Promise<void> {
    return this.args[1];
  }
}

export type EventLogServerEvents = {
  joined: (partitions: number[], memberId: string) => void;
  /** After a commit: the next offset to read and the partition's end when fetched. */
  committed: (partition: number, offset: string, highWatermark: string) => void;
  /** An offset commit failed; the partition's next commit covers it. */
  'commit-failed': (partition: number, offset: string, error: unknown) => void;
  retry: (message: IncomingMessage, error: unknown, attempt: number, delayMs: number) => void;
  crash: (error: unknown, willRestart: boolean) => void;
  /** Shutdown began: the runs in flight finish and commit, no new one starts. */
  stopping: () => void;
  /** The runs in flight are committed and the member left the group. */
  stopped: () => void;
};

export interface EventLogServerOptions extends ConsumerOptions {
  /** True when the error will pass by itself (a server away): retry the run in place. */
  isTransient(error: unknown): boolean;
}

/**
 * Hands an event handler's error to the transport as it was thrown. Nest's default
 * filter would replace it by `{ status: 'error' }`, and the consumer loop decides
 * between retrying and dead-lettering by the error's class and code.
 */
@Catch()
export class PassErrorsToTransport implements ExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * A Nest transport over the consumer loop of `EventConsumer`: the loop keeps its
 * guarantees (runs of a partition applied together, offsets committed after the apply,
 * in-place backoff with heartbeats, poison set aside) and reaches the application's
 * `@EventPattern` handlers through Nest, which applies their guards, interceptors and
 * filters. A handler's failure travels back to the loop: unlike Nest's base
 * `handleEvent`, which fires and forgets, a run is done only when its handler settled.
 */
export class EventLogServer
  extends Server<EventLogServerEvents>
  implements CustomTransportStrategy
{
  override readonly transportId = EVENT_LOG_TRANSPORT;
  override readonly propagatesEventHandlerErrors = true;
  private consumer?: EventConsumer;
  private closing?: Promise<void>;
  private joined = false;
  private readonly listeners = new Map<
    keyof EventLogServerEvents,
    ((...args: never[]) => void)[]
  >();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventLogServerOptions,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    // Looked up once: Nest's lookup tries `JSON.parse` on the pattern first, and a pattern
    // that is not JSON costs a SyntaxError with its stack on every run.
    const run = this.getHandlerByPattern(EventLogPatterns.Run);
    const poison = this.getHandlerByPattern(EventLogPatterns.Poison);
    if (!run || !poison) {
      const missing = Object.values(EventLogPatterns).filter((p) => !this.getHandlerByPattern(p));
      callback(new Error(`no @EventPattern handler for ${missing.join(', ')}`));
      return;
    }
    const consumer = new EventConsumer(this.kafka, this.options, {
      handle: (message) => dispatch(run, [message], message.partition),
      handleBatch: (messages, heartbeat) =>
        dispatch(run, messages, messages[0].partition, heartbeat),
      isTransient: (error) => this.options.isTransient(error),
      onPoison: (message, reason) => dispatch(poison, { message, reason }, message.partition),
      onRetry: (...args) => this.emit('retry', ...args),
      onCommitted: (...args) => this.emit('committed', ...args),
      onCommitFailed: (...args) => this.emit('commit-failed', ...args),
      onCrash: (...args) => this.emit('crash', ...args),
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      const partitions = [...(e.payload.memberAssignment[this.options.topic] ?? [])];
      this.emit(
        'joined',
        partitions.sort((a, b) => a - b),
        e.payload.memberId,
      );
    });
    this.consumer = consumer;
    consumer.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /**
   * Finishes the runs in flight, commits them and leaves the group. A second call while
   * the first is under way waits for the same end.
   */
  close(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return this.closing ?? Promise.resolve();
    this.consumer = undefined;
    this.joined = false;
    this.emit('stopping');
    this.closing = consumer.stop().then(() => this.emit('stopped'));
    return this.closing;
  }

  /**
   * Resolves once a close that began has ended (at once if none began): what must come
   * after the last runs and their offsets (the outbox's last pass) waits for it, whatever
   * order a shutdown calls the hooks in.
   */
  closed(): Promise<void> {
    return (this.closing ?? Promise.resolve()).catch(() => undefined);
  }

  /** True once the member joined the group, until shutdown begins. */
  isJoined(): boolean {
    return this.joined;
  }

  on<E extends keyof EventLogServerEvents>(event: E, callback: EventLogServerEvents[E]): void {
    const listeners = this.listeners.get(event) ?? [];
    listeners.push(callback);
    this.listeners.set(event, listeners);
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private emit<E extends keyof EventLogServerEvents>(
    event: E,
    ...args: Parameters<EventLogServerEvents[E]>
  ): void {
    for (const listener of this.listeners.get(event) ?? []) {
      (listener as (...a: Parameters<EventLogServerEvents[E]>) => void)(...args);
    }
  }
}

/** Calls an `@EventPattern` handler through Nest and settles when the handler has. */
async function dispatch(
  handler: MessageHandler,
  data: unknown,
  partition: number,
  heartbeat: () => Promise<void> = async () => undefined,
): Promise<void> {
  const result: unknown = await handler(data, new EventRunContext([partition, heartbeat]));
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
