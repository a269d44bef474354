import type { Command } from 'commander';

export function registerSettingsCommands(program: Command): void {
  program.command('settings').description('Show and change global settings');
}
