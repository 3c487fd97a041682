export const KAFKA = Symbol('KAFKA');
export const TOPICS = Symbol('TOPICS');
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');
export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');
/** The LogReadingRules of this deployment: its signing key and its secrets' cipher. */
export const LOG_READING_RULES = Symbol('LOG_READING_RULES');
