import type { Command } from 'commander';
import { registerSyncRunCommand } from './sync-run.js';

export function registerSyncCommands(program: Command): void {
  const sync = program.command('sync').description('Manage sync pairs (source + target + what to sync)');
  registerSyncRunCommand(sync);
}
