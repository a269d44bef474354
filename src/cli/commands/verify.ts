import type { Command } from 'commander';
import { action, notImplemented } from '../run.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Compare source and target by chunked checksums (exit 0 equal, 1 differences, 2 error)')
    .argument('<pair>', 'sync pair name')
    .option('--table <name...>', 'only these tables')
    .option('--repair', 'make the target equal for the differing rows')
    .option('--json', 'machine-readable output')
    .action(action(() => notImplemented('verify')));
}
