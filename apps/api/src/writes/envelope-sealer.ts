import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import type { EventType } from '#domain/event.model';
import { ProblemException } from '../http/problem.js';

/**
 * A secret's value is encrypted before its event is published, so the plaintext never
 * sits in Kafka; the worker stores the encrypted value as it comes.
 */
@Injectable()
export class EnvelopeSealer {
  constructor(@Inject(SECRET_CIPHER) private readonly cipher: SecretCipher) {}

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
}
