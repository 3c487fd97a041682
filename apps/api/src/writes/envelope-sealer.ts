import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER, WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import type { SecretCipher } from '#config/secret-cipher';
import type { EventType } from '#domain/event.model';
import { signatureOf } from '#messaging/envelope-signature';
import { ProblemException } from '../http/problem.js';

/**
 * What protects an event on its way to the log: a secret's value is encrypted before it
 * is published, so the plaintext never sits in Kafka (the worker stores it as it comes),
 * and the message is signed so that the worker knows it came from the API.
 */
@Injectable()
export class EnvelopeSealer {
  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  /** The data with a secret's `value` replaced by its `encryptedValue`; 422 without a key. */
  sealed(type: EventType, data: Record<string, unknown>): Record<string, unknown> {
    if (type !== 'config.set' || data.secret !== true) return data;
    if (!this.cipher.canEncrypt) {
      throw new ProblemException(
        422,
        'Secret entries cannot be written: this Warden has no WARDEN_SECRETS_KEY (see docs/operations.md)',
        { type: 'https://warden.dev/problems/secrets-key-missing' },
      );
    }
    const { value, ...rest } = data;
    return { ...rest, encryptedValue: this.cipher.encrypt(value) };
  }

  /** The `x-warden-signature` of a message value. */
  signature(value: string): string {
    return signatureOf(value, this.config.signingKey);
  }
}
