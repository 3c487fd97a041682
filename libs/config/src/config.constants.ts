/** Injection token of the typed WardenConfig. */
export const WARDEN_CONFIG = Symbol('WARDEN_CONFIG');

/** Injection token of the SecretCipher made from WARDEN_SECRETS_KEY. */
export const SECRET_CIPHER = Symbol('SECRET_CIPHER');
