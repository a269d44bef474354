import type { Command } from 'commander';

export function registerConnectionCommands(program: Command): void {
  program.command('connection').description('Manage database connections');
}
