/** A round that could not be measured, and why: reported in its place, the next ones still run. */
export interface FailedRound {
  error: string;
}

export const failed = (r: object): r is FailedRound => 'error' in r;

/**
 * An error with its causes: `fetch` says only "fetch failed" and keeps what the
 * connection said (`ECONNRESET`, a connect timeout…) in `cause`.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${code}: ${current.message}` : current.message);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      current = undefined;
    }
  }
  return parts.join(' ← ');
}

/** Runs one round; a failure is logged and returned as the round's result. */
export async function attempt<T>(
  what: string,
  log: (message: string) => void,
  measure: () => Promise<T>,
): Promise<T | FailedRound> {
  try {
    return await measure();
  } catch (error) {
    const reason = describeError(error);
    log(`${what} FAILED: ${reason}`);
    return { error: reason };
  }
}
