import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createContext, ROOT, CLI, type TestContext } from '../helpers/context.js';
import { spawnPty, KEYS } from '../helpers/pty.js';

let ctx: TestContext;
const configText = () => readFileSync(path.join(ctx.home, 'config.json'), 'utf8');

beforeAll(async () => {
  ctx = await createContext('conn');
  // A user with a password and no replication grants, to see what `test` reports.
  await ctx.source.query(`CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'pw-reader'`);
  await ctx.source.query(`GRANT SELECT ON \`${ctx.sourceDb}\`.* TO 'reader'@'%'`);
});
afterAll(async () => {
  await ctx.source.query(`DROP USER IF EXISTS 'reader'@'%'`);
  await ctx.close();
});

describe('connection commands through the built CLI', () => {
  it('adds, lists, tests and removes connections non-interactively, never showing a password', async () => {
    const add = await ctx.cli(['connection', 'add', '--name', 'src', '--host', '127.0.0.1', '--port', String(ctx.ports.source), '--user', 'root', '--no-password', '--database', ctx.sourceDb]);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const add2 = await ctx.cli(['connection', 'add', '--name', 'rd', '--host', '127.0.0.1', '--port', String(ctx.ports.source), '--user', 'reader', '--password', 'pw-reader', '--database', ctx.sourceDb]);
    expect(add2.code).toBe(0);
    const add3 = await ctx.cli(['connection', 'add', '--name', 'envpw', '--host', '127.0.0.1', '--port', String(ctx.ports.source), '--user', 'reader', '--password-env', 'READER_PW', '--database', ctx.sourceDb]);
    expect(add3.code).toBe(0);
    expect(configText()).not.toContain('READER_PW_VALUE');

    const list = await ctx.cli(['connection', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`127.0.0.1:${ctx.ports.source}`);
    expect(list.stdout).not.toContain('pw-reader');
    const json = JSON.parse((await ctx.cli(['connection', 'list', '--json'])).stdout);
    expect(json.map((c: { name: string }) => c.name)).toEqual(['src', 'rd', 'envpw']);
    expect(JSON.stringify(json)).not.toContain('pw-reader');

    const test = await ctx.cli(['connection', 'test', 'src']);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/MariaDB 10\.\d+/);
    expect(test.stdout).toContain('log_bin=ON, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL');
    expect(test.stdout).toContain('change capture:  binlog (ready as a source)');

    const reader = await ctx.cli(['connection', 'test', 'rd', '--json']);
    expect(reader.code).toBe(0);
    const caps = JSON.parse(reader.stdout);
    expect(caps).toMatchObject({ canRead: true, replicationSlave: false, binlogUsable: false });
    expect(caps.binlogProblems.join('\n')).toContain("GRANT REPLICATION SLAVE ON *.* TO 'reader'@'%'");

    const envTest = await ctx.cli(['connection', 'test', 'envpw'], { env: { READER_PW: 'pw-reader' } });
    expect(envTest.code).toBe(0);

    // A command that logs, on a pair whose connections carry the password (config and env):
    // the log files exist, have lines about it, and never the password.
    const file = path.join(ctx.home, 'config.json');
    const cfg = JSON.parse(configText());
    writeFileSync(file, JSON.stringify({ ...cfg, syncPairs: [{ name: 'pw', source: 'rd', target: 'envpw' }] }));
    // (reader has no REPLICATION grants: the run logs why it polls, then fails)
    const run = await ctx.cli(['sync', 'run', 'pw', '--once'], { env: { READER_PW: 'pw-reader' } });
    expect(run.code).not.toBe(0);
    writeFileSync(file, JSON.stringify(cfg));
    expect(readFileSync(path.join(ctx.home, 'logs', 'combined.log'), 'utf8')).toContain('"pair":"pw"');
    for (const f of ['combined.log', 'error.log']) {
      expect(readFileSync(path.join(ctx.home, 'logs', f), 'utf8')).not.toContain('pw-reader');
    }

    expect((await ctx.cli(['connection', 'remove', 'rd'])).code).toBe(0);
    expect(JSON.parse((await ctx.cli(['connection', 'list', '--json'])).stdout).map((c: { name: string }) => c.name)).toEqual(['src', 'envpw']);
  });

  it.each([
    ['a wrong password', { user: 'reader', password: 'nope' }, /access denied for user "reader"/],
    ['an unknown host', { host: 'no-such-host.invalid' }, /host "no-such-host\.invalid" could not be resolved/],
    ['a closed port', { port: '1' }, /connection refused on port 1/],
    ['an unknown database', { database: 'no_such_db' }, /unknown database "no_such_db"/],
  ])('reports %s distinctly, quickly and with a non-zero exit', async (_what, override: Record<string, string>, message) => {
    const name = `bad_${Math.random().toString(36).slice(2, 8)}`;
    const o: { host: string; port: string; user: string; database: string; password?: string } = { host: '127.0.0.1', port: String(ctx.ports.source), user: 'root', database: ctx.sourceDb, ...override };
    const pw = o.password === undefined ? ['--no-password'] : ['--password', o.password];
    const add = await ctx.cli(['connection', 'add', '--name', name, '--host', o.host, '--port', o.port, '--user', o.user, '--database', o.database, ...pw]);
    expect(add.code).toBe(0);
    const started = Date.now();
    const r = await ctx.cli(['connection', 'test', name]);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/hint: /);
    await ctx.cli(['connection', 'remove', name]);
  });

  it('rejects bad input with one clear message and leaves config.json unchanged', async () => {
    const before = configText();
    const cases: Array<[string[], RegExp]> = [
      [['connection', 'add', '--name', 'x'], /missing required flags: --host, --user, --database, --password \| --password-env VAR \| --no-password/],
      [['connection', 'add', '--name', 'x', '--host', 'h', '--port', 'abc', '--user', 'u', '--no-password', '--database', 'd'], /port: expected an integer 1\.\.65535, got "abc"/],
      [['connection', 'add', '--name', 'src', '--host', 'h', '--user', 'u', '--no-password', '--database', 'd'], /a connection named "src" already exists/],
      [['connection', 'add', '--name', 'bad name!', '--host', 'h', '--user', 'u', '--no-password', '--database', 'd'], /name: expected a name/],
      [['connection', 'remove', 'nope'], /unknown connection "nope"/],
      [['connection', 'test', 'nope'], /unknown connection "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = await ctx.cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(configText()).toBe(before);
  });

  it('prompts for missing values on a terminal, masking the password', async () => {
    const pty = spawnPty([process.execPath, CLI, 'connection', 'add', '--name', 'interactive'], ctx.env, ROOT);
    await pty.expect('Host:');
    pty.write(`\u0015127.0.0.1${KEYS.enter}`); // Ctrl-U clears the suggested default first
    await pty.expect('Port:');
    pty.write(`\u0015${ctx.ports.source}${KEYS.enter}`);
    await pty.expect('User:');
    pty.write(`reader${KEYS.enter}`);
    await pty.expect('Password');
    pty.write(`pw-reader${KEYS.enter}`);
    await pty.expect('Database:');
    pty.write(`${ctx.sourceDb}${KEYS.enter}`);
    expect(await pty.exit()).toBe(0);
    expect(pty.output()).toContain('added connection "interactive"');
    expect(pty.output()).not.toContain('pw-reader');
    const test = await ctx.cli(['connection', 'test', 'interactive']);
    expect(test.code).toBe(0);
    expect(test.stdout).toContain('readable');
  });
});
