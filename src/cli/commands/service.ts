import type { Command } from 'commander';
import { action, notImplemented } from '../run.js';

export function registerServiceCommands(program: Command): void {
  const service = program.command('service').description('Run db-sync as a long-lived service');
  service.command('start').description('Start the service (foreground, or --daemon)').option('--daemon', 'detach and run in the background')
    .action(action(() => notImplemented('service start')));
  service.command('stop').description('Stop the running service').action(action(() => notImplemented('service stop')));
  service.command('restart').description('Restart the running service').action(action(() => notImplemented('service restart')));
  service.command('status').description('Is the service running? (exit 0 running, 3 not running)').action(action(() => notImplemented('service status')));
}
