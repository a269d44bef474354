/** The one wait of the code base, and a bound on how long to wait for a promise. */

import { setTimeout as wait } from 'node:timers/promises';

/** `ms`, or less when `signal` aborts (it then resolves, never rejects). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await wait(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if ((err as { name?: string }).name !== 'AbortError') throw err;
    // aborted: the caller checks its signal and stops
  }
}

/** `p`, or `onTimeout()` as a rejection after `ms` (`p` runs on; its late failure is ignored). */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(onTimeout()), ms); });
  // marks p handled when the timeout wins the race; the race still rejects with its error
  p.catch(() => undefined);
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
