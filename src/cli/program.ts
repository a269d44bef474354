/**
 * db-sync CLI: assembles the command groups. Commands are thin: parse, call core, render.
 */
import { Command } from 'commander';
import { registerConnectionCommands } from './commands/connection.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerServiceCommands } from './commands/service.js';
import { registerStatusCommand } from './commands/status.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerCutoverCommand } from './commands/cutover.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('db-sync')
    .description('Keep a target MySQL/MariaDB database continuously equal to a source one')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions();
  registerConnectionCommands(program);
  registerSyncCommands(program);
  registerSettingsCommands(program);
  registerPlanCommand(program);
  registerVerifyCommand(program);
  registerServiceCommands(program);
  registerStatusCommand(program);
  registerLogsCommand(program);
  registerCutoverCommand(program);
  registerDemoCommand(program);
  return program;
}
