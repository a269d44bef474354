import type { Command } from 'commander';
import { settingsSchema, type Settings } from '../../core/config/schema.js';
import { formatZodIssues } from '../../core/config/store.js';
import { SyncError } from '../../core/errors.js';
import { action } from '../run.js';
import { openStore } from '../context.js';
import { printJson } from '../views/table.js';

const KEYS = Object.keys(settingsSchema.shape) as Array<keyof Settings>;

function parseValue(raw: string): unknown {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}

/** Parse `key=value` pairs into a validated settings patch. */
export function settingsPatch(current: Settings, pairs: string[]): Settings {
  const patch: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const key = eq > 0 ? p.slice(0, eq) : '';
    if (!KEYS.includes(key as keyof Settings)) {
      throw new SyncError('INVALID_INPUT', `unknown setting ${JSON.stringify(eq > 0 ? key : p)}`, {
        hint: `Use key=value with one of: ${KEYS.join(', ')}.`,
      });
    }
    const raw = p.slice(eq + 1);
    patch[key] = raw === '' ? undefined : parseValue(raw);
  }
  const r = settingsSchema.safeParse({ ...current, ...patch });
  if (!r.success) {
    const issues = formatZodIssues(r.error).map((l) => `settings.${l}`);
    throw new SyncError('INVALID_INPUT', `invalid settings:\n  ${issues.join('\n  ')}`, {
      hint: 'Correct the values and run the command again.',
    });
  }
  return r.data;
}

export function registerSettingsCommands(program: Command): void {
  const settings = program.command('settings').description('Show and change global settings');
  settings.command('show', { isDefault: true }).description('Show the settings (defaults included)')
    .option('--json', 'machine-readable output')
    .action(action(async (flags: { json?: boolean }) => {
      const s = openStore().load().settings;
      if (flags.json) return printJson(s);
      for (const k of KEYS) process.stdout.write(`${k.padEnd(20)} ${s[k] ?? '(off)'}\n`);
    }));
  settings.command('set').description('Change settings: key=value ... (empty value resets an optional one)')
    .argument('<key=value...>')
    .addHelpText('after', `\nKeys: ${KEYS.join(', ')}\n`
      + 'Example:\n  db-sync settings set pollInterval=2000 logLevel=debug')
    .action(action(async (pairs: string[]) => {
      const config = openStore().update((c) => { c.settings = settingsPatch(c.settings, pairs); });
      const changed = pairs.map((p) => p.split('=')[0])
        .map((k) => `${k}=${config.settings[k as keyof Settings] ?? '(off)'}`);
      process.stdout.write(`settings updated: ${changed.join(', ')}\n`);
    }));
}
