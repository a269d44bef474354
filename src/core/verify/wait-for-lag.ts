/**
 * Before a differing chunk is re-checked: when the service runs this pair, wait until the
 * pair's published lag is small, so a change still in flight is not reported as a
 * difference. Reads the status file the service writes atomically ({service: {running},
 * pairs: [{name, state, lagMs}]}); without a running service it returns at once and the
 * re-check relies on its backoff alone.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../sleep.js';

interface StatusDoc {
  service?: { running?: boolean };
  pairs?: Array<{ name?: string; state?: string; lagMs?: number | null }>;
}

export interface LagWaitOptions {
  maxLagMs: number;
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
}

/** The pair's current lag from the status file; null when no running service streams it. */
export function publishedLag(statusFile: string, pair: string): number | null {
  let doc: StatusDoc;
  try {
    doc = JSON.parse(readFileSync(statusFile, 'utf8')) as StatusDoc;
  } catch {
    // no status file (service not running) or one being replaced: no lag known
    return null;
  }
  if (!doc?.service?.running) return null;
  const p = doc.pairs?.find((x) => x.name === pair);
  if (!p || (p.state !== 'streaming' && p.state !== 'polling' && p.state !== 'snapshot')) return null;
  return typeof p.lagMs === 'number' ? p.lagMs : null;
}

export async function waitForLag(statusFile: string, pair: string, opts: LagWaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const lag = publishedLag(statusFile, pair);
    if (lag === null || lag <= opts.maxLagMs || Date.now() >= deadline || opts.signal?.aborted) return;
    await sleep(opts.pollMs);
  }
}
