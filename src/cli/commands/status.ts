import type { Command } from 'commander';
import type { Config } from '../../core/config/schema.js';
import type { ConfigStore } from '../../core/config/store.js';
import { initialStatus } from '../../core/status.js';
import { isProcessAlive } from '../../daemon/pid-file.js';
import { readStatusFile, type StatusDocument } from '../../daemon/status-file.js';
import { renderStatus } from '../views/status-view.js';
import { printJson } from '../views/table.js';
import { action } from '../run.js';
import { openStore } from '../context.js';
import { pairRetention, type PairRetention } from '../../core/guard/retention.js';

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

type Risks = Map<string, PairRetention>;

/** `status --json`: the status file, or the configured pairs as 'stopped' when nothing was published. */
export function statusJson(store: ConfigStore, snap: StatusSnapshot, risks: Risks = new Map()):
  Record<string, unknown> {
  const withRisk = <T extends { name: string }>(p: T) => {
    const risk = risks.get(p.name);
    return risk ? { ...p, binlogRetention: risk } : p;
  };
  if (snap.doc) {
    const service = { ...snap.doc.service, running: snap.alive, stale: !snap.alive };
    return { service, pairs: snap.doc.pairs.map(withRisk) };
  }
  const pairs = store.load().syncPairs
    .map((p) => withRisk({ ...initialStatus(p.name, p.enabled), state: p.enabled ? 'stopped' : 'disabled' }));
  return { service: null, pairs };
}

const RUNNING = new Set(['starting', 'schema', 'snapshot', 'streaming', 'polling']);

/**
 * Pairs that do not run now (no service, or stopped, disabled, in error, retrying): will the
 * binlog their checkpoint points into still be on the source when they start again?
 */
async function retentionRisks(store: ConfigStore, snap: StatusSnapshot): Promise<Risks> {
  let config: Config;
  try {
    config = store.load();
  } catch {
    return new Map(); // a config being edited or malformed: status still shows what the service published
  }
  const live = (snap.alive ? snap.doc?.pairs ?? [] : []).filter((p) => RUNNING.has(p.state)).map((p) => p.name);
  const risks: Risks = new Map();
  await Promise.all(config.syncPairs.filter((p) => p.data && !live.includes(p.name)).map(async (p) => {
    // best effort: a server that cannot be reached now has no retention to report
    const risk = await pairRetention(config, p).catch(() => null);
    if (risk) risks.set(p.name, risk);
  }));
  return risks;
}

function renderWithRisks(snap: StatusSnapshot, risks: Risks, width?: number): string {
  const lines = [...risks].filter(([, r]) => r.level !== 'ok')
    .map(([name, r]) => `warning: pair "${name}": ${r.message}`);
  return [renderStatus(snap.doc, snap.alive, new Date(), width), ...lines].join('\n');
}

async function watch(store: ConfigStore): Promise<void> {
  const { default: logUpdate } = await import('log-update');
  let risks: Risks = new Map();
  let checkedAt = 0;
  const draw = async () => {
    const snap = readServiceStatus(store);
    if (Date.now() - checkedAt >= 30_000) { // connects to the servers: not at every redraw
      checkedAt = Date.now();
      risks = await retentionRisks(store, snap);
    }
    logUpdate(`${renderWithRisks(snap, risks, process.stdout.columns ?? 80)}\n(refreshing every 2 s; Ctrl-C to quit)`);
  };
  await draw();
  const timer = setInterval(() => void draw(), 2000);
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
        const snap = readServiceStatus(store);
        printJson(statusJson(store, snap, await retentionRisks(store, snap)));
        return 0;
      }
      if (opts.watch) {
        await watch(store);
        return 0;
      }
      const snap = readServiceStatus(store);
      process.stdout.write(`${renderWithRisks(snap, await retentionRisks(store, snap))}\n`);
      return 0;
    }));
}
