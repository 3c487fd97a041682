export { WardenClient } from './warden-client.js';
export { SseParser, type ServerSentEvent } from './sse-parser.js';
export {
  WardenError,
  type EffectiveView,
  type ViewInfo,
  type ViewSource,
  type WardenClientOptions,
  type Watch,
  type WatchHandlers,
} from './types.js';
