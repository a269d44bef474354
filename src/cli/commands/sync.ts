import { Command } from 'commander';
import { SYNC_MODES, type Config, type SyncPairConfig } from '../../core/config/schema.js';
import { addPair, editPair, findPair, removePair } from '../../core/config/edit.js';
import { action } from '../run.js';
import { openStore } from '../context.js';
import { askChecks, askChoice, askText, isInteractive, missingFlagsError } from '../prompt.js';
import { printJson, renderTable } from '../views/table.js';
import { registerSyncRunCommand } from './sync-run.js';

interface PairFlags {
  name?: string; source?: string; target?: string; schema?: boolean; data?: boolean; routines?: boolean;
  include?: string[]; exclude?: string[]; mode?: string; allowDestructive?: boolean; enabled?: boolean;
  throttleReplica?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Options shared by `sync add` and `sync edit`; each has both forms so edit can tell "not given". */
function pairOptions(c: Command, withIdentity: boolean): Command {
  if (withIdentity) c.option('--name <name>', 'pair name');
  return c
    .option('--source <connection>', 'source connection name')
    .option('--target <connection>', 'target connection name')
    .option('--schema', 'sync tables and their structure (default)')
    .option('--no-schema', 'do not sync table structure')
    .option('--data', 'sync rows (default)').option('--no-data', 'do not sync rows')
    .option('--routines', 'sync views, procedures, functions, triggers, events (default)')
    .option('--no-routines', 'do not sync programmable objects')
    .option('--include <pattern>', 'only tables matching this glob (repeatable)', collect)
    .option('--exclude <pattern>', 'skip tables matching this glob (repeatable)', collect)
    .option('--mode <mode>', `change capture: ${SYNC_MODES.join('|')} (default auto)`)
    .option('--allow-destructive', 'apply DROP TABLE/COLUMN and narrowing type changes on the target')
    .option('--no-allow-destructive', 'only plan destructive changes (default)')
    .option('--throttle-replica <connection>',
      'pause snapshot/verify reads while this replica of the source lags (repeatable)', collect)
    .option('--enabled', 'the service runs this pair (default)').option('--disabled', 'create/keep the pair disabled');
}

function flagsToFields(f: PairFlags & { disabled?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = [
    'source', 'target', 'schema', 'data', 'routines', 'include', 'exclude', 'mode', 'allowDestructive',
  ] as const;
  for (const k of keys) {
    if (f[k] !== undefined) out[k] = f[k];
  }
  if (f.throttleReplica !== undefined) out.throttleReplicas = f.throttleReplica;
  if (f.disabled) out.enabled = false;
  else if (f.enabled) out.enabled = true;
  return out;
}

async function completePairFlags(config: Config, flags: PairFlags): Promise<PairFlags> {
  const missing = (['name', 'source', 'target'] as const).filter((k) => flags[k] === undefined).map((k) => `--${k}`);
  if (missing.length === 0) return flags;
  if (!isInteractive()) throw missingFlagsError('sync add', missing);
  const conns = config.connections.map((c) => ({
    name: `${c.name}  (${c.user}@${c.host}:${c.port}/${c.database})`,
    value: c.name,
  }));
  if (conns.length < 2) throw missingFlagsError('sync add', missing);
  const out = { ...flags };
  out.name ??= await askText('Pair name:');
  out.source ??= await askChoice('Source connection:', conns);
  out.target ??= await askChoice('Target connection:', conns.filter((c) => c.value !== out.source));
  if (flags.schema === undefined && flags.data === undefined && flags.routines === undefined) {
    const what = await askChecks('What to sync:', [
      { name: 'schema (tables, columns, indexes, keys)', value: 'schema', checked: true },
      { name: 'data (rows)', value: 'data', checked: true },
      { name: 'routines (views, procedures, functions, triggers, events)', value: 'routines', checked: true },
    ]);
    out.schema = what.includes('schema'); out.data = what.includes('data'); out.routines = what.includes('routines');
  }
  return out;
}

function describePair(p: SyncPairConfig): string[] {
  const what = [p.schema && 'schema', p.data && 'data', p.routines && 'routines'].filter(Boolean).join('+')
    || 'nothing';
  return [p.name, `${p.source} -> ${p.target}`, p.enabled ? 'enabled' : 'disabled', what, p.mode,
    [...p.include.map((i) => `+${i}`), ...p.exclude.map((e) => `-${e}`)].join(' ') || '*'];
}

function setEnabled(name: string, enabled: boolean): void {
  openStore().update((config) => { editPair(config, name, { enabled }); });
  process.stdout.write(`sync pair "${name}" ${enabled ? 'enabled' : 'disabled'}\n`);
}

export function registerSyncCommands(program: Command): void {
  const sync = program.command('sync').description('Manage sync pairs (source + target + what to sync)');

  pairOptions(sync.command('add').description('Add a sync pair (prompts for missing values on a terminal)'), true)
    .addHelpText('after', '\nExample:\n'
      + '  db-sync sync add --name shop --source prod --target replica --exclude "tmp_*" --mode auto')
    .action(action(async (flags: PairFlags & { disabled?: boolean }) => {
      const store = openStore();
      const config = store.load();
      const done = await completePairFlags(config, flags);
      const pair = addPair(config, { name: done.name, ...flagsToFields(done) });
      store.save(config);
      process.stdout.write(`added sync pair "${pair.name}" (${pair.source} -> ${pair.target})\n`);
    }));

  const edit = sync.command('edit').description('Change a sync pair (only the given flags change)')
    .argument('<name>', 'pair name');
  pairOptions(edit, false)
    .addHelpText('after', '\nExample:\n'
      + '  db-sync sync edit shop --allow-destructive --include "orders*"   (--include/--exclude replace the lists)')
    .action(action(async (name: string, flags: PairFlags & { disabled?: boolean }) => {
      const config = openStore().update((c) => { editPair(c, name, flagsToFields(flags)); });
      const pair = config.syncPairs.find((p) => p.name === name);
      process.stdout.write(`updated sync pair "${name}": ${describePair(pair!).slice(1).join(', ')}\n`);
    }));

  sync.command('list').description('List sync pairs').option('--json', 'machine-readable output')
    .action(action(async (flags: { json?: boolean }) => {
      const config = openStore().load();
      if (flags.json) return printJson(config.syncPairs);
      if (config.syncPairs.length === 0) {
        return void process.stdout.write('no sync pairs yet: add one with `db-sync sync add`\n');
      }
      const head = ['name', 'source -> target', 'state', 'syncs', 'mode', 'tables'];
      process.stdout.write(`${renderTable(head, config.syncPairs.map(describePair))}\n`);
    }));

  sync.command('show').description('Show one sync pair in full').argument('<name>', 'pair name')
    .option('--json', 'machine-readable output')
    .action(action(async (name: string, flags: { json?: boolean }) => {
      const pair = findPair(openStore().load(), name);
      if (flags.json) return printJson(pair);
      for (const [k, v] of Object.entries(pair)) {
        process.stdout.write(`${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
      }
    }));

  sync.command('enable').description('Enable a sync pair').argument('<name>', 'pair name')
    .action(action(async (name: string) => setEnabled(name, true)));
  sync.command('disable').description('Disable a sync pair (the service stops it)').argument('<name>', 'pair name')
    .action(action(async (name: string) => setEnabled(name, false)));
  sync.command('remove').description('Remove a sync pair (target data and checkpoints are left as they are)')
    .argument('<name>', 'pair name')
    .action(action(async (name: string) => {
      openStore().update((config) => removePair(config, name));
      process.stdout.write(`removed sync pair "${name}"\n`);
    }));

  registerSyncRunCommand(sync);
}
