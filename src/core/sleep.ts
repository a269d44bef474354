/** The one wait of the code base: `ms`, or less when `signal` aborts (it then resolves, never rejects). */
import { setTimeout as wait } from 'node:timers/promises';

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await wait(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if ((err as { name?: string }).name !== 'AbortError') throw err;
    // aborted: the caller checks its signal and stops
  }
}
