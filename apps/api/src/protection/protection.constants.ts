/** The Redis connection on which this instance hears that the protection rules changed. */
export const PROTECTION_RULES_SUBSCRIBER = Symbol('PROTECTION_RULES_SUBSCRIBER');

/** The problem type of a direct write that only a change request may make. */
export const CHANGE_REQUEST_REQUIRED = 'https://warden.dev/problems/change-request-required';
