import type { Command } from 'commander';
import { action, notImplemented } from '../run.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Start two throwaway MariaDB servers, a pair and a write load, and watch it sync')
    .action(action(() => notImplemented('demo')));
}
