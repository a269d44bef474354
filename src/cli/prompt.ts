/**
 * Interactive prompts (the only @inquirer/prompts import). Commands collect what flags did
 * not give: on a TTY they ask; otherwise they fail once, listing every missing flag.
 */
// loaded on first use: a command run with flags (service, sync run) never pays its ~14 MB
const prompts = () => import('@inquirer/prompts');
import { SyncError } from '../core/errors.js';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY) && process.env.DB_SYNC_NONINTERACTIVE !== '1';
}

/** Fail with one message naming every missing flag (non-interactive use). */
export function missingFlagsError(command: string, missing: string[]): SyncError {
  const flags = missing.length === 1 ? 'flag' : 'flags';
  return new SyncError('MISSING_FLAGS', `${command}: missing required ${flags}: ${missing.join(', ')}`, {
    hint: `Pass ${missing.join(' ')} (see \`db-sync ${command} --help\`), or run it in a terminal to be prompted.`,
    details: { missing },
  });
}

export async function askText(message: string,
  options: { default?: string; validate?: (v: string) => string | true } = {}): Promise<string> {
  const { input } = await prompts();
  const validate = options.validate ?? ((v: string) => (v.trim() ? true : 'required'));
  return input({ message, default: options.default, validate });
}

export async function askPassword(message: string): Promise<string> {
  const { password } = await prompts();
  return password({ message, mask: '*' });
}

export async function askChoice<T extends string>(message: string, choices: Array<{ name: string; value: T }>,
  def?: T): Promise<T> {
  const { select } = await prompts();
  return select({ message, choices, default: def });
}

export async function askChecks<T extends string>(message: string,
  choices: Array<{ name: string; value: T; checked?: boolean }>): Promise<T[]> {
  const { checkbox } = await prompts();
  return checkbox({ message, choices });
}

export async function askConfirm(message: string, def = false): Promise<boolean> {
  const { confirm } = await prompts();
  return confirm({ message, default: def });
}
