import { defaultsAggregate } from '#domain/event.model';
/** The row of `aggregates` whose revision counts changes to any global default. */
export const defaultsRevisionAggregate = defaultsAggregate('*');
