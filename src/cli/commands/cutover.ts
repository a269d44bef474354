import type { Command } from 'commander';
import { editPair } from '../../core/config/edit.js';
import type { ConfigStore } from '../../core/config/store.js';
import { runCutover, type CutoverIO, type PairRuntime } from '../../core/cutover/run-cutover.js';
import { SyncError } from '../../core/errors.js';
import { flushLogger } from '../../core/log.js';
import { pairContext } from '../../core/pair/sync-pair.js';
import { createStatusSink } from '../../core/status.js';
import { askConfirm, isInteractive } from '../prompt.js';
import { action } from '../run.js';
import { commandLogger, openStore, shutdownSignal } from '../context.js';
import { readServiceStatus } from './status.js';

interface CutoverFlags {
  freezeSource?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  timeout: string;
  quietPeriod: string;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new SyncError('INVALID_INPUT', `${flag} expects a number of seconds > 0, got "${value}"`, {
      hint: `e.g. ${flag} 30`,
    });
  }
  return Math.round(n * 1000);
}

/** The pair as the running service publishes it; null when no live service runs it. */
function pairRuntime(store: ConfigStore, name: string): PairRuntime | null {
  const { doc, alive } = readServiceStatus(store);
  const p = alive ? doc?.pairs.find((x) => x.name === name) : undefined;
  return p ? { state: p.state, lastError: p.lastError } : null;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function cutover(name: string, flags: CutoverFlags): Promise<number> {
  const timeoutMs = seconds(flags.timeout, '--timeout');
  const quietMs = seconds(flags.quietPeriod, '--quiet-period');
  if (!flags.yes && !flags.dryRun && !isInteractive()) {
    const why = 'cutover asks before each change, but there is no terminal to ask on';
    throw new SyncError('CONFIRMATION_REQUIRED', why, {
      hint: `Pass --yes to confirm every step in advance (see the plan first: db-sync cutover ${name} --dry-run).`,
    });
  }
  const store = openStore();
  const config = store.load();
  const logger = commandLogger(store, config.settings.logLevel, { stderr: false });
  const signal = shutdownSignal();
  const ctx = pairContext(config, name, { logger, signal, status: createStatusSink(name) });
  const io: CutoverIO = {
    say,
    confirm: flags.yes ? async (q) => { say(`${q} yes (--yes)`); return true; } : (q) => askConfirm(q),
    pairStatus: () => pairRuntime(store, name),
    disablePair: () => { store.update((c) => { editPair(c, name, { enabled: false }); }); },
    logger: logger.child({ pair: name, pipeline: 'cutover' }),
    signal,
  };
  try {
    await runCutover(ctx, { freezeSource: !!flags.freezeSource, dryRun: !!flags.dryRun, timeoutMs, quietMs }, io);
    return 0;
  } finally {
    await flushLogger(logger);
  }
}

export function registerCutoverCommand(program: Command): void {
  program
    .command('cutover')
    .description('The end of a migration: stop source writes, let the pair catch up, verify, '
      + 'disable the pair, enable the target\'s events')
    .argument('<pair>', 'sync pair name')
    .option('--freeze-source', 'set the source read-only (SET GLOBAL read_only = ON) '
      + 'instead of requiring that writes have stopped')
    .option('--yes', 'do not ask before each change (required without a terminal)')
    .option('--dry-run', 'print the plan and the current positions; change nothing')
    .option('--timeout <sec>', 'how long the pair may take to apply up to the source\'s final position', '120')
    .option('--quiet-period <sec>', 'how long the source\'s binlog position must stay still '
      + 'to count as "no writes"', '5')
    .addHelpText('after', '\nExamples:\n  db-sync cutover shop --dry-run\n  db-sync cutover shop --freeze-source\n'
      + '  db-sync cutover shop --freeze-source --yes --timeout 300   (scripts: no questions)')
    .action(action((name: string, flags: CutoverFlags) => cutover(name, flags)));
}
