export const DEAD_LETTERS = Symbol('DEAD_LETTERS');
