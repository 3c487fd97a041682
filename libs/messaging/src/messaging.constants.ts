export const KAFKA = Symbol('KAFKA');
export const TOPICS = Symbol('TOPICS');
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');
export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');
