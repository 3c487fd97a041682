/** The process's pino logger (`createLogger`). */
export const LOGGER = Symbol('LOGGER');
/** The process's prom-client registry (`createRegistry`), served on `/metrics`. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
