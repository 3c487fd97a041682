import {
  parseLoggedEnvelope,
  parseSignedEnvelope,
  type LoggedEvent,
} from '#domain/event-validation';
import { SecretCipher } from '#config/secret-cipher';
import { isUuid } from '#domain/event.model';
import type { IncomingMessage } from './event-consumer.js';
import { DeadLetterHeaders } from './topics.js';
import { provenanceOf, SIGNATURE_HEADER } from './envelope-signature.js';

/** How the log's producers are told apart: the API signs with the shared key. */
export interface SignatureCheck {
  signingKey: string;
  /** Refuse (dead-letter) what the API did not sign. */
  requireSigned: boolean;
}

/** Everything a reader of the log applies to each message (the typed config is one). */
export interface LogReadingRules extends SignatureCheck {
  /**
   * WARDEN_SECRETS_KEY: encrypts a secret that a producer other than the API sent in the
   * clear (the API sends it encrypted); without it such an event is dead-lettered.
   */
  secretsKey?: Buffer;
}

/** A message of the event log as the readers of the log see it. */
export type LogMessage = Omit<IncomingMessage, 'topic'>;

/** A valid event and the request that published it, for the logs. */
export interface ReadEvent {
  event: LoggedEvent;
  requestId?: string;
}

/** A message of the log that is not a valid event, and why; it becomes a dead letter. */
export interface UnreadableMessage {
  /** The envelope's `id` when it is a UUID, so the outcome can be recorded and announced. */
  eventId?: string;
  reason: string;
  partition: number;
  offset: string;
  key: string | null;
  payload: Buffer | null;
  headers: Record<string, string>;
}

export type EnvelopeRead =
  { ok: true; read: ReadEvent } | { ok: false; unreadable: UnreadableMessage };

/**
 * Reads one message of `governance.events`: its envelope is validated exactly as the API
 * validates writes (one the API signed was validated by the API already: only its frame
 * is checked). This is the single place where the log's bytes become an event.
 */
export function readEnvelope(
  message: LogMessage,
  rules: LogReadingRules,
  receivedAt = new Date().toISOString(),
  cipher = new SecretCipher(rules.secretsKey),
): EnvelopeRead {
  const origin = provenanceOf(
    message.value,
    message.headers[SIGNATURE_HEADER],
    rules.signingKey,
    rules.requireSigned,
  );
  const parsed =
    origin.ok && origin.source === 'api'
      ? parseSignedEnvelope(message.value, message.key)
      : parseLoggedEnvelope(message.value, message.key);
  const secured = parsed.ok ? withSecretEncrypted(parsed.event, cipher) : undefined;
  if (parsed.ok && origin.ok && secured?.ok) {
    const { source, actorVerified } = origin;
    return {
      ok: true,
      read: {
        event: { ...secured.event, source, actorVerified, receivedAt },
        requestId: message.headers[DeadLetterHeaders.RequestId],
      },
    };
  }
  const reason = !parsed.ok
    ? parsed.reason
    : !origin.ok
      ? origin.reason
      : (secured as { reason: string }).reason;
  const eventId = parsed.ok ? parsed.event.id : parsed.eventId;
  return { ok: false, unreadable: { ...unreadable(message, reason), eventId: eventIdOf(eventId) } };
}

/**
 * A `config.set` of a secret sent in the clear (by a producer other than the API) with its
 * value encrypted, as the API would have published it: nothing downstream sees the
 * plaintext. The changes a change request applies are treated alike.
 */
function withSecretEncrypted(
  event: LoggedEvent,
  cipher: SecretCipher,
): { ok: true; event: LoggedEvent } | { ok: false; reason: string } {
  try {
    if (event.type === 'change-request.applied') {
      const changes = event.data.changes.map((change) => ({
        ...change,
        data: sealedData(change.type, change.data, cipher),
      }));
      return { ok: true, event: { ...event, data: { ...event.data, changes } } };
    }
    const data = sealedData(event.type, event.data as unknown as Record<string, unknown>, cipher);
    return { ok: true, event: { ...event, data } as unknown as LoggedEvent };
  } catch (error) {
    return { ok: false, reason: `secret not encrypted: ${(error as Error).message}` };
  }
}

function sealedData(
  type: string,
  data: Record<string, unknown>,
  cipher: SecretCipher,
): Record<string, unknown> {
  if (type !== 'config.set' || data.secret !== true || data.encryptedValue !== undefined)
    return data;
  const { value, ...rest } = data;
  return { ...rest, encryptedValue: cipher.encrypt(value) };
}

/** Sorts a stretch of log into valid events and unreadable messages; the worker and a replay read alike. */
export function readEnvelopes(
  messages: LogMessage[],
  signatures: LogReadingRules,
): {
  events: ReadEvent[];
  unreadable: UnreadableMessage[];
} {
  const events: ReadEvent[] = [];
  const rejects: UnreadableMessage[] = [];
  const now = new Date().toISOString();
  const cipher = new SecretCipher(signatures.secretsKey);
  for (const message of messages) {
    const result = readEnvelope(message, signatures, appendedAt(message) ?? now, cipher);
    if (result.ok) events.push(result.read);
    else rejects.push(result.unreadable);
  }
  return { events, unreadable: rejects };
}

/**
 * When the log took the message: the events topic stamps messages with the broker's own
 * clock (`message.timestamp.type=LogAppendTime`), so no producer can date its change, and
 * a replay of the same log gives every resource the same timestamps again.
 */
function appendedAt(message: LogMessage): string | undefined {
  const millis = Number(message.timestamp);
  return message.timestamp && Number.isFinite(millis) && millis > 0
    ? new Date(millis).toISOString()
    : undefined;
}

/** A message set aside for another reason than its envelope (it failed too often). */
export function unreadableMessage(message: LogMessage, reason: string): UnreadableMessage {
  return { ...unreadable(message, reason), eventId: eventIdInPayload(message.value) };
}

function unreadable(message: LogMessage, reason: string): UnreadableMessage {
  return {
    reason,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    payload: message.value,
    headers: message.headers,
  };
}

function eventIdOf(id: unknown): string | undefined {
  return isUuid(id) ? id : undefined;
}

function eventIdInPayload(value: Buffer | null): string | undefined {
  try {
    return eventIdOf((JSON.parse(value?.toString('utf8') ?? '') as { id?: unknown }).id);
  } catch {
    return undefined;
  }
}
