import type { Command } from 'commander';
import { action, notImplemented } from '../run.js';

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('Show the schema and routine changes a sync would make on the target (exit 0: nothing to do, 2: pending changes)')
    .argument('<pair>', 'sync pair name')
    .option('--json', 'machine-readable output')
    .action(action(() => notImplemented('plan')));
}
