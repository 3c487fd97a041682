import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs on stdout; `app` tells the API's lines from the worker's. */
export function createLogger(app: 'api' | 'worker' | 'tools', level: string): Logger {
  return pino({ level, base: { app, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
