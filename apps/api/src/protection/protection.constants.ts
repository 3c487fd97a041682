/** The problem type of a direct write that only a change request may make. */
export const CHANGE_REQUEST_REQUIRED = 'https://warden.dev/problems/change-request-required';
