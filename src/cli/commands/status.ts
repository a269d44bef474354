import type { Command } from 'commander';
import { action, notImplemented } from '../run.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show the state, lag and progress of every sync pair')
    .option('--watch', 'redraw every 2 s until Ctrl-C')
    .option('--json', 'machine-readable output')
    .action(action(() => notImplemented('status')));
}
