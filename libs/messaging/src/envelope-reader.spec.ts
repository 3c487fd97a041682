import { randomUUID } from 'node:crypto';
import { anEnvelope, aService } from '../../../test/support/builders.js';
import {
  readEnvelopes as readWith,
  unreadableMessage,
  type LogMessage,
  type SignatureCheck,
} from './envelope-reader.js';
import { signatureOf } from './envelope-signature.js';
import { SecretCipher } from '#config/secret-cipher';
import type { EncryptedValue } from '#domain/secret-value';

const KEY = 'a-signing-key-of-at-least-32-characters';
const OPEN: SignatureCheck = { signingKey: KEY, requireSigned: false };
const readEnvelopes = (messages: LogMessage[], check = OPEN) => readWith(messages, check);

function aMessage(
  value: string | null,
  headers: Record<string, string> = {},
  key = 'service:checkout',
): LogMessage {
  return {
    partition: 2,
    offset: '41',
    key,
    value: value === null ? null : Buffer.from(value),
    headers,
  };
}

describe('readEnvelopes', () => {
  it('reads a valid envelope as an event, with the request that published it', () => {
    const envelope = anEnvelope('service.registered', aService({ slug: 'checkout' }));
    const { events, unreadable } = readEnvelopes([
      aMessage(JSON.stringify(envelope), { 'x-request-id': 'r-7' }),
    ]);
    expect(unreadable).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0].event.id).toBe(envelope.id);
    expect(events[0].requestId).toBe('r-7');
  });

  it.each([
    ['an empty message', null, /empty message/, undefined],
    ['bytes that are not JSON', '{"id":', /not valid JSON/, undefined],
    ['an envelope without a type', JSON.stringify({ id: 'ID' }), /invalid envelope/, 'ID'],
    ['an id that is not a UUID', JSON.stringify({ id: 'not-a-uuid' }), /invalid envelope/, null],
  ])(
    'sets aside %s with its reason, its place in the log and the bytes as they were',
    (_case, raw, reason, id) => {
      const eventId = randomUUID();
      const value = raw?.replace('ID', eventId) ?? null;
      const { events, unreadable } = readEnvelopes([aMessage(value, { 'x-request-id': 'r-8' })]);
      expect(events).toEqual([]);
      expect(unreadable).toHaveLength(1);
      const [letter] = unreadable;
      expect(letter.reason).toMatch(reason);
      expect(letter.eventId).toBe(id === 'ID' ? eventId : undefined);
      expect([letter.partition, letter.offset, letter.key]).toEqual([2, '41', 'service:checkout']);
      expect(letter.payload?.toString()).toBe(value ?? undefined);
      expect(letter.headers).toEqual({ 'x-request-id': 'r-8' });
    },
  );

  it('keeps the order of the log among the events it reads', () => {
    const first = anEnvelope('service.registered', aService({ slug: 'alpha' }));
    const second = anEnvelope('service.registered', aService({ slug: 'beta' }));
    const { events, unreadable } = readEnvelopes([
      aMessage(JSON.stringify(first), {}, first.aggregate),
      aMessage('nonsense'),
      aMessage(JSON.stringify(second), {}, second.aggregate),
    ]);
    expect(events.map((e) => e.event.id)).toEqual([first.id, second.id]);
    expect(unreadable.map((u) => u.offset)).toEqual(['41']);
  });
});

describe('unreadableMessage', () => {
  it('keeps the event id of a message that failed too often, for its outcome', () => {
    const envelope = anEnvelope('service.registered', aService());
    const letter = unreadableMessage(aMessage(JSON.stringify(envelope)), 'failed 5 times');
    expect(letter).toMatchObject({ eventId: envelope.id, reason: 'failed 5 times' });
  });

  it('tells a signed API envelope from a claimed one, and refuses either kind when required', () => {
    const envelope = JSON.stringify(
      anEnvelope('service.registered', aService({ slug: 'checkout' })),
    );
    const signed = aMessage(envelope, { 'x-warden-signature': signatureOf(envelope, KEY) });
    const forged = aMessage(envelope, { 'x-warden-signature': signatureOf(envelope, 'other') });
    const unsigned = aMessage(envelope);
    expect(readEnvelopes([signed]).events[0].event).toMatchObject({
      source: 'api',
      actorVerified: true,
    });
    expect(readEnvelopes([forged]).events[0].event).toMatchObject({
      source: 'kafka',
      actorVerified: false,
    });
    const strict = { signingKey: KEY, requireSigned: true };
    expect(
      readEnvelopes([signed, unsigned, forged], strict).unreadable.map((u) => u.reason),
    ).toEqual(['unsigned', 'bad signature']);
  });

  it('sets aside an event keyed other than by its aggregate', () => {
    const envelope = anEnvelope('service.registered', aService({ slug: 'checkout' }));
    const { unreadable } = readEnvelopes([aMessage(JSON.stringify(envelope), {}, 'service:other')]);
    expect(unreadable[0]?.reason).toContain('is not the aggregate service:checkout');
  });
});

describe('readEnvelopes of a secret sent in the clear', () => {
  const plain = JSON.stringify(
    anEnvelope('config.set', {
      slug: 'checkout',
      env: 'prod',
      key: 'db',
      value: 'hunter2',
      secret: true,
    }),
  );
  const secretsKey = Buffer.alloc(32, 5);

  it('encrypts the value before anything downstream sees it', () => {
    const { events } = readWith([aMessage(plain)], { ...OPEN, secretsKey });
    const data = events[0].event.data as unknown as Record<string, unknown>;
    expect(data).toEqual({
      slug: 'checkout',
      env: 'prod',
      key: 'db',
      secret: true,
      encryptedValue: expect.objectContaining({ alg: 'A256GCM' }),
    });
    expect(JSON.stringify(events[0].event)).not.toContain('hunter2');
    const opened = new SecretCipher(secretsKey).open(data.encryptedValue as EncryptedValue);
    expect(opened).toEqual({ ok: true, value: 'hunter2' });
  });

  it('dead-letters it when this reader has no key', () => {
    const { events, unreadable } = readWith([aMessage(plain)], OPEN);
    expect(events).toEqual([]);
    expect(unreadable[0].reason).toBe(
      'secret not encrypted: secret values cannot be stored: WARDEN_SECRETS_KEY is not set',
    );
  });
});
