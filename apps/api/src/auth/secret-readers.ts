import type { TokenGrant } from '#config/warden-config';
import type { SecretCipher } from '#config/secret-cipher';
import type { SecretAudience, SecretOpener } from '#domain/secret-value';

/** Readers with the `secrets` scope see secret values; everyone else sees `"***"`. */
export function audienceOf(grant: TokenGrant | undefined): SecretAudience {
  return grant?.scopes.includes('secrets') ? 'revealed' : 'masked';
}

/** The opener of a reader who may see secrets; undefined (masked) for any other. */
export function openerFor(
  grant: TokenGrant | undefined,
  cipher: SecretCipher,
): SecretOpener | undefined {
  return audienceOf(grant) === 'revealed' ? cipher.open : undefined;
}
