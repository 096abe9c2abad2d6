// One bounded wait for the close-time flush of a live session's data channel:
// resolves with what ended it (the condition, the deadline, an abort, or the
// thing waited on closing), always removes its listeners and its timer, and
// never rejects, so a flush can never hold a close() up past its deadline.

export type WaitResult = 'done' | 'timed_out' | 'aborted' | 'closed';

/**
 * `arm` installs the listeners that may call `settle` (synchronously or later)
 * and returns the function that removes them. Settling twice is harmless.
 */
export function waitFor(deadline: number, signal: AbortSignal | undefined, arm: (settle: (r: WaitResult) => void) => () => void): Promise<WaitResult> {
  if (signal?.aborted === true) return Promise.resolve('aborted');
  const left = deadline - Date.now();
  if (left <= 0) return Promise.resolve('timed_out');
  return new Promise<WaitResult>((resolve) => {
    let settled = false;
    let disarm: (() => void) | undefined;
    const onAbort = () => settle('aborted');
    const timer = setTimeout(() => settle('timed_out'), left);
    function settle(r: WaitResult): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      disarm?.();
      resolve(r);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      disarm = arm(settle);
    } catch {
      settle('closed');
    }
    // arm() may have settled synchronously before disarm was assigned.
    if (settled) disarm?.();
  });
}
