import type { Command } from 'commander';
import { SSL_MODES } from '../../core/config/schema.js';
import { addConnection, editConnection, findConnection, publicConnection,
  removeConnection } from '../../core/config/edit.js';
import { checkCapabilities, type Capabilities } from '../../core/preflight.js';
import { SyncError } from '../../core/errors.js';
import { retentionReport } from '../../core/guard/retention.js';
import { retentionLines } from '../views/retention-view.js';
import { action } from '../run.js';
import { openStore } from '../context.js';
import { askPassword, askText, isInteractive, missingFlagsError } from '../prompt.js';
import { printJson, renderTable } from '../views/table.js';

interface AddFlags {
  name?: string; host?: string; port?: string; user?: string; password?: string | boolean; passwordEnv?: string;
  database?: string; sslMode?: string; sslCa?: string;
}

const REQUIRED: Array<[keyof AddFlags, string]> = [
  ['name', '--name'], ['host', '--host'], ['user', '--user'], ['database', '--database'],
];

/** Fill what the flags left out: prompt on a TTY, else one error naming every missing flag. */
async function completeAddFlags(flags: AddFlags): Promise<AddFlags> {
  const missing = REQUIRED.filter(([k]) => flags[k] === undefined).map(([, f]) => f);
  const needsPassword = flags.password === undefined && flags.passwordEnv === undefined;
  if (!isInteractive()) {
    if (needsPassword) missing.push('--password | --password-env VAR | --no-password');
    if (missing.length > 0) throw missingFlagsError('connection add', missing);
    return flags;
  }
  const out = { ...flags };
  out.name ??= await askText('Connection name:');
  out.host ??= await askText('Host:', { default: '127.0.0.1' });
  out.port ??= await askText('Port:', { default: '3306' });
  out.user ??= await askText('User:');
  if (needsPassword) out.password = await askPassword('Password (empty for none):');
  out.database ??= await askText('Database:');
  return out;
}

function toEntry(f: AddFlags): Record<string, unknown> {
  const port = f.port === undefined ? 3306 : /^\d+$/.test(f.port) ? Number(f.port) : f.port;
  const entry: Record<string, unknown> = { name: f.name, host: f.host, port, user: f.user, database: f.database };
  if (typeof f.password === 'string') entry.password = f.password;
  if (f.passwordEnv !== undefined) entry.passwordEnv = f.passwordEnv;
  if (f.sslMode !== undefined || f.sslCa !== undefined) {
    entry.ssl = { mode: f.sslMode ?? (f.sslCa ? 'verify-ca' : 'required'), ...(f.sslCa ? { ca: f.sslCa } : {}) };
  }
  return entry;
}

function yesNo(v: boolean): string {
  return v ? 'yes' : 'no';
}

export function renderCapabilities(name: string, c: Capabilities): string {
  const flavor = c.flavor.name === 'mariadb' ? 'MariaDB' : 'MySQL';
  const lines = [
    `connection "${name}": connected`,
    `  server:          ${flavor} ${c.flavor.version} (server_id ${c.serverId})`,
    `  database:        ${c.canRead ? `readable, ${c.tableCount} tables` : 'NOT readable by this user'}`,
    `  binary log:      log_bin=${c.logBin ? 'ON' : 'OFF'}, binlog_format=${c.binlogFormat ?? '-'}, `
      + `binlog_row_image=${c.binlogRowImage ?? '-'}, binlog_row_metadata=${c.binlogRowMetadata ?? '-'}`,
    `  grants:          REPLICATION SLAVE ${yesNo(c.replicationSlave)}, `
      + `${c.flavor.binlogMonitorGrant} ${yesNo(c.binlogMonitor)}`,
  ];
  if (c.binlogUsable) lines.push('  change capture:  binlog (ready as a source)');
  else {
    lines.push('  change capture:  polling only as a source (mode auto falls back to poll); for binlog capture:');
    for (const p of c.binlogProblems) lines.push(`    - ${p}`);
  }
  lines.push(...renderGtid(c));
  for (const w of c.warnings) lines.push(`  warning:         ${w}`);
  return lines.join('\n');
}

function renderGtid(c: Capabilities): string[] {
  const g = c.gtid;
  const onOff = (v: boolean | null) => (v === null ? '-' : v ? 'ON' : 'OFF');
  const settings = c.flavor.name === 'mariadb'
    ? `gtid_domain_id=${g.domainId ?? '-'}, gtid_strict_mode=${onOff(g.strict)}, ` +
      `log_slave_updates=${onOff(g.logReplicaUpdates)}`
    : `enforce_gtid_consistency=${onOff(g.strict)}, log_replica_updates=${onOff(g.logReplicaUpdates)}`;
  return [
    `  GTID:            ${c.gtidMode ? `on, position ${g.position || '(empty)'}` : 'off'}; ${settings}`,
    `  failover:        ` +
      `${c.gtidMode ? 'pairs resume by GTID on a promoted replica that has'
        : 'pairs stop with SOURCE_CHANGED on another server; for GTID failover'}:`,
    ...g.failoverNeeds.map((n) => `    - ${n}`),
  ];
}

export function registerConnectionCommands(program: Command): void {
  const cmd = program.command('connection').description('Manage database connections (stored in config.json)');

  cmd.command('add')
    .description('Add a connection (prompts for missing values on a terminal)')
    .option('--name <name>', 'connection name')
    .option('--host <host>', 'server host name or IP')
    .option('--port <port>', 'server port (default 3306)')
    .option('--user <user>', 'user name')
    .option('--password <password>', 'password (stored in config.json, mode 0600)')
    .option('--no-password', 'the user has no password')
    .option('--password-env <VAR>', 'read the password from this environment variable at use time (never stored)')
    .option('--database <name>', 'database (schema) to sync from or to')
    .option('--ssl-mode <mode>', `TLS: ${SSL_MODES.join('|')}`)
    .option('--ssl-ca <file>', 'CA certificate file for TLS verification')
    .addHelpText('after', '\nExample:\n  db-sync connection add --name prod --host db1.example.com --user sync '
      + '--password-env PROD_PW --database shop')
    .action(action(async (flags: AddFlags) => {
      if (flags.password === false) flags.password = '';
      if (typeof flags.password === 'string' && flags.passwordEnv !== undefined && flags.password !== '') {
        throw new SyncError('INVALID_INPUT', 'give either --password or --password-env, not both', {
          hint: 'Prefer --password-env VAR: the password then never touches the disk.',
        });
      }
      const done = await completeAddFlags(flags);
      const store = openStore();
      const config = store.load();
      const conn = addConnection(config, toEntry(done));
      store.save(config);
      const where = `${conn.user}@${conn.host}:${conn.port}/${conn.database}`;
      process.stdout.write(`added connection "${conn.name}" (${where})\n`);
    }));

  cmd.command('edit')
    .description('Change a connection; only the given flags change (a running service restarts the pairs that use it)')
    .argument('<name>', 'connection name')
    .option('--host <host>', 'server host name or IP')
    .option('--port <port>', 'server port')
    .option('--user <user>', 'user name')
    .option('--password <password>', 'password (stored in config.json, mode 0600)')
    .option('--password-env <VAR>', 'read the password from this environment variable at use time')
    .option('--database <name>', 'database (schema)')
    .option('--ssl-mode <mode>', `TLS: ${SSL_MODES.join('|')}`)
    .option('--ssl-ca <file>', 'CA certificate file for TLS verification')
    .addHelpText('after',
      '\nExample (source failover to a promoted replica):\n  db-sync connection edit prod --host db2.example.com ' +
        '--port 3306')
    .action(action(async (name: string, flags: AddFlags) => {
      const entry = toEntry(flags);
      const changes = Object.fromEntries(Object.entries(entry).filter(([k,
        v]) => v !== undefined && (k !== 'port' || flags.port !== undefined)));
      if (Object.keys(changes).length === 0) {
        throw new SyncError('MISSING_FLAGS', `connection edit ${name}: nothing to change`, {
          hint: 'Pass at least one of --host, --port, --user, --password, --password-env, --database, --ssl-mode, ' +
            '--ssl-ca.',
        });
      }
      let conn = findConnection(openStore().load(), name);
      openStore().update((config) => { conn = editConnection(config, name, changes); });
      process.stdout.write(`changed connection "${name}" (${conn.user}@${conn.host}:${conn.port}/${conn.database})\n`);
    }));

  cmd.command('list')
    .description('List connections (passwords are never shown)')
    .option('--json', 'machine-readable output')
    .action(action(async (flags: { json?: boolean }) => {
      const config = openStore().load();
      if (flags.json) return printJson(config.connections.map(publicConnection));
      if (config.connections.length === 0) {
        return void process.stdout.write('no connections yet: add one with `db-sync connection add`\n');
      }
      const head = ['name', 'host:port', 'user', 'database', 'password', 'tls'];
      const rows = config.connections.map((c) => [
        c.name, `${c.host}:${c.port}`, c.user, c.database, String(publicConnection(c).password),
        c.ssl?.mode ?? 'disabled',
      ]);
      process.stdout.write(`${renderTable(head, rows)}\n`);
    }));

  cmd.command('test')
    .description('Connect and report server, read access and change-capture capability')
    .argument('<name>', 'connection name')
    .option('--json', 'machine-readable output')
    .action(action(async (name: string, flags: { json?: boolean }) => {
      const config = openStore().load();
      const conn = findConnection(config, name);
      const caps = await checkCapabilities(conn);
      const retention = caps.logBin ? await retentionReport(config, conn) : null;
      if (flags.json) printJson({ name, ok: caps.canRead, ...caps, retention });
      else process.stdout.write(`${[renderCapabilities(name, caps), ...retentionLines(retention)].join('\n')}\n`);
      return caps.canRead ? 0 : 1;
    }));

  cmd.command('remove')
    .description('Remove a connection (refused while a sync pair uses it)')
    .argument('<name>', 'connection name')
    .action(action(async (name: string) => {
      const store = openStore();
      store.update((config) => removeConnection(config, name));
      process.stdout.write(`removed connection "${name}"\n`);
    }));
}
