import type { Command } from 'commander';
import logUpdate from 'log-update';
import type { ConfigStore } from '../../core/config/store.js';
import { initialStatus } from '../../core/status.js';
import { isProcessAlive } from '../../daemon/pid-file.js';
import { readStatusFile, type StatusDocument } from '../../daemon/status-file.js';
import { renderStatus } from '../views/status-view.js';
import { printJson } from '../views/table.js';
import { action } from '../run.js';
import { openStore } from '../context.js';

export interface StatusSnapshot {
  doc: StatusDocument | null;
  alive: boolean;
}

/** The published status, with `running` checked against the live process. */
export function readServiceStatus(store: ConfigStore): StatusSnapshot {
  const doc = readStatusFile(store.paths.statusFile);
  const alive = !!doc && doc.service.running && isProcessAlive(doc.service.pid);
  return { doc, alive };
}

/** `status --json`: the status file, or the configured pairs as 'stopped' when nothing was published. */
export function statusJson(store: ConfigStore, snap: StatusSnapshot): Record<string, unknown> {
  if (snap.doc) return { service: { ...snap.doc.service, running: snap.alive, stale: !snap.alive }, pairs: snap.doc.pairs };
  const pairs = store.load().syncPairs.map((p) => ({ ...initialStatus(p.name, p.enabled), state: p.enabled ? 'stopped' : 'disabled' }));
  return { service: null, pairs };
}

async function watch(store: ConfigStore): Promise<void> {
  const draw = () => {
    const snap = readServiceStatus(store);
    logUpdate(`${renderStatus(snap.doc, snap.alive, new Date(), process.stdout.columns ?? 80)}\n(refreshing every 2 s; Ctrl-C to quit)`);
  };
  draw();
  const timer = setInterval(draw, 2000);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  clearInterval(timer);
  logUpdate.done();
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show the state, lag and progress of every sync pair (from the running service)')
    .option('--watch', 'redraw every 2 s until Ctrl-C')
    .option('--json', 'machine-readable output (see docs/service.md for every field)')
    .action(action(async (opts: { watch?: boolean; json?: boolean }) => {
      const store = openStore();
      if (opts.json) {
        printJson(statusJson(store, readServiceStatus(store)));
        return 0;
      }
      if (opts.watch) {
        await watch(store);
        return 0;
      }
      const snap = readServiceStatus(store);
      process.stdout.write(`${renderStatus(snap.doc, snap.alive)}\n`);
      return 0;
    }));
}
