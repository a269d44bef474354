/**
 * Helpers for the schema tests: an in-process PairContext over a TestContext's databases,
 * the test fixture schema, and a snapshot of everything schema sync must make equal.
 */
import type mysql from 'mysql2/promise';
import { configSchema } from '../../src/core/config/schema.js';
import { silentLogger } from '../../src/core/log.js';
import { pairContext, type PairContext } from '../../src/core/pair/sync-pair.js';
import { createStatusSink } from '../../src/core/status.js';
import type { TestContext } from '../helpers/context.js';

export function pairFor(ctx: TestContext, pair: Record<string, unknown> = {}): PairContext {
  const config = configSchema.parse({
    connections: [
      { name: 'src', host: '127.0.0.1', port: ctx.ports.source, user: 'root', password: '', database: ctx.sourceDb },
      { name: 'dst', host: '127.0.0.1', port: ctx.ports.target, user: 'root', password: '', database: ctx.targetDb },
    ],
    syncPairs: [{ name: 'p', source: 'src', target: 'dst', data: false, ...pair }],
  });
  return pairContext(config, 'p', { logger: silentLogger(), signal: new AbortController().signal, status: createStatusSink('p') });
}

export async function run(conn: mysql.Connection, statements: string[]): Promise<void> {
  for (const sql of statements) await conn.query(sql);
}

type Row = Record<string, string | null>;
async function rows(conn: mysql.Connection, sql: string): Promise<Row[]> {
  const [r] = await conn.query(sql);
  return r as Row[];
}

export const GUARD_PREFIX = 'BEGIN IF @db_sync_applying IS NULL THEN\n';
export const GUARD_SUFFIX = '\n;\nEND IF; END';

export interface SchemaSnapshot {
  tables: Record<string, string>;
  views: Record<string, string>;
  routines: Record<string, string>;
  triggers: Record<string, string>;
  events: Record<string, string>;
}

/**
 * What must be equal on source and target. On the target side (`role: 'target'`) trigger
 * bodies must carry db-sync's guard, which is checked and taken off. An event's status on the
 * target is SLAVESIDE_DISABLED whatever the source's (ENABLED or DISABLED), as on a native
 * replica: each side's status clause becomes <status>, and the source's status the one expected.
 */
export async function snapshot(conn: mysql.Connection, role: 'source' | 'target'): Promise<SchemaSnapshot> {
  const s: SchemaSnapshot = { tables: {}, views: {}, routines: {}, triggers: {}, events: {} };
  // db-sync's own table on the target (every pair's lock holder, checkpoints) is not part of the schema
  for (const t of await rows(conn, "SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '_db_sync_checkpoint' ORDER BY 1")) {
    const [r] = await rows(conn, `SHOW CREATE TABLE \`${(t.n as string).replace(/`/g, '``')}\``);
    s.tables[t.n as string] = (r?.['Create Table'] as string).replace(/ AUTO_INCREMENT=\d+/, '');
  }
  for (const v of await rows(conn, 'SELECT TABLE_NAME AS n, CHARACTER_SET_CLIENT AS cs FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()')) {
    const [r] = await rows(conn, `SHOW CREATE VIEW \`${(v.n as string).replace(/`/g, '``')}\``);
    s.views[v.n as string] = `${r?.['Create View']} /${v.cs}`;
  }
  for (const r of await rows(conn, 'SELECT ROUTINE_TYPE AS t, ROUTINE_NAME AS n, SQL_MODE AS m, DEFINER AS d, SECURITY_TYPE AS st, ROUTINE_DEFINITION AS body, CHARACTER_SET_CLIENT AS cs FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()')) {
    const [c] = await rows(conn, `SHOW CREATE ${r.t} \`${(r.n as string).replace(/`/g, '``')}\``);
    s.routines[`${r.t} ${r.n}`] = [c?.[r.t === 'FUNCTION' ? 'Create Function' : 'Create Procedure'], r.m, r.d, r.st, r.cs].join(' | ');
  }
  for (const t of await rows(conn, 'SELECT TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS tb, ACTION_TIMING AS ti, EVENT_MANIPULATION AS ev, ACTION_ORDER AS o, ACTION_STATEMENT AS body, SQL_MODE AS m, DEFINER AS d FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()')) {
    let body = t.body as string;
    if (role === 'target') {
      if (!body.startsWith(GUARD_PREFIX) || !body.endsWith(GUARD_SUFFIX)) throw new Error(`target trigger ${t.n} lacks the db-sync guard: ${body}`);
      body = body.slice(GUARD_PREFIX.length, -GUARD_SUFFIX.length);
    }
    s.triggers[t.n as string] = [t.tb, t.ti, t.ev, t.o, body, t.m, t.d].join(' | ');
  }
  for (const e of await rows(conn, 'SELECT EVENT_NAME AS n, STATUS AS st FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()')) {
    const [c] = await rows(conn, `SHOW CREATE EVENT \`${(e.n as string).replace(/`/g, '``')}\``);
    const text = `${c?.['Create Event']} | ${c?.sql_mode} | ${c?.time_zone}`
      .replace(/ (ENABLE|DISABLE ON SLAVE|DISABLE) (DO|COMMENT) /, ' <status> $2 ');
    const status = role === 'source' && (e.st === 'ENABLED' || e.st === 'DISABLED') ? 'SLAVESIDE_DISABLED' : e.st;
    s.events[e.n as string] = `${text} | ${status}`;
  }
  return s;
}

/** The repository's own fixture: every kind of object the issue names. */
export const FIXTURE: string[] = [
  'SET SESSION foreign_key_checks = 0',
  // created before the table its foreign key references
  'CREATE TABLE a_child (id INT PRIMARY KEY, parent_id INT NOT NULL, CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES z_parent (id) ON DELETE CASCADE) ENGINE=InnoDB',
  'CREATE TABLE z_parent (id INT PRIMARY KEY, label VARCHAR(30) NOT NULL DEFAULT \'\') ENGINE=InnoDB',
  'SET SESSION foreign_key_checks = 1',
  'CREATE TABLE country (id SMALLINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, UNIQUE KEY uq_name (name)) ENGINE=InnoDB',
  `CREATE TABLE customer (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    country_id SMALLINT UNSIGNED NOT NULL,
    email VARCHAR(120) NOT NULL,
    status ENUM('new','active','gone') NOT NULL DEFAULT 'new',
    flags SET('vip','beta') DEFAULT NULL,
    born YEAR DEFAULT NULL,
    photo BLOB,
    profile JSON,
    shout VARCHAR(130) AS (CONCAT(UPPER(email), '!')) VIRTUAL,
    email_len INT AS (CHAR_LENGTH(email)) STORED,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    bio TEXT COMMENT 'free text, it''s "quoted"',
    KEY idx_country (country_id),
    UNIQUE KEY uq_email (email(100) DESC),
    FULLTEXT KEY ft_bio (bio),
    CONSTRAINT fk_customer_country FOREIGN KEY (country_id) REFERENCES country (id) ON UPDATE CASCADE,
    CONSTRAINT chk_email CHECK (email LIKE '%@%')
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='customers'`,
  'CREATE TABLE place (id INT PRIMARY KEY, pos POINT NOT NULL, SPATIAL KEY sp_pos (pos)) ENGINE=InnoDB',
  'CREATE TABLE audit_log (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED, action VARCHAR(20), at DATETIME(6) DEFAULT NOW(6)) ENGINE=InnoDB',
  "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED NOT NULL, total DECIMAL(10,2) NOT NULL, note VARCHAR(40) CHARACTER SET latin1, CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customer (id)) ENGINE=InnoDB AUTO_INCREMENT=1000 ROW_FORMAT=DYNAMIC",
  'CREATE TABLE `weird ``name`` select` (`order` INT PRIMARY KEY, `spaced col` VARCHAR(10), `ñandú` INT, `日本` VARCHAR(5) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, KEY `key with space` (`spaced col`)) ENGINE=InnoDB',
  'CREATE TABLE sales (id INT NOT NULL, sold DATE NOT NULL, amount DECIMAL(12,2), PRIMARY KEY (id, sold)) ENGINE=InnoDB PARTITION BY RANGE (YEAR(sold)) (PARTITION p2020 VALUES LESS THAN (2021), PARTITION pmax VALUES LESS THAN MAXVALUE)',
  // accepted under a permissive sql_mode on the source, so it must be on the target too
  "SET SESSION sql_mode = ''",
  "CREATE TABLE legacy (id INT PRIMARY KEY, d DATE NOT NULL DEFAULT '0000-00-00', ts DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00')",
  'SET SESSION sql_mode = DEFAULT',
  "INSERT INTO country (name) VALUES ('Peru')",
  "CREATE VIEW v_active AS SELECT id, email FROM customer WHERE status = 'active'",
  // sorts before the view it is built on
  'CREATE VIEW a_view_on_view AS SELECT COUNT(*) AS n FROM v_active',
  'CREATE FUNCTION fn_tax(amount DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN amount * 0.2',
  'CREATE VIEW v_with_tax AS SELECT id, fn_tax(total) AS tax FROM orders',
  "CREATE VIEW `view ``odd`` ñ` AS SELECT `order`, `日本` FROM `weird ``name`` select`",
  "CREATE PROCEDURE sp_touch(IN cid INT) MODIFIES SQL DATA COMMENT 'marks active' BEGIN UPDATE customer SET status = 'active' WHERE id = cid; END",
  "SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT')",
  "CREATE FUNCTION fn_greet(n VARCHAR(20)) RETURNS VARCHAR(40) DETERMINISTIC SQL SECURITY INVOKER RETURN 'hi ' || n",
  'SET SESSION sql_mode = DEFAULT',
  "CREATE TRIGGER trg_customer_ai AFTER INSERT ON customer FOR EACH ROW INSERT INTO audit_log (customer_id, action) VALUES (NEW.id, 'insert')",
  'CREATE TRIGGER trg_customer_bi BEFORE INSERT ON customer FOR EACH ROW BEGIN SET NEW.email = LOWER(NEW.email); END',
  'CREATE TRIGGER trg_customer_bi2 BEFORE INSERT ON customer FOR EACH ROW FOLLOWS trg_customer_bi SET NEW.born = IFNULL(NEW.born, 2000)',
  // a body that ends in a line comment must still work inside the guard
  'CREATE TRIGGER trg_place_bi BEFORE INSERT ON place FOR EACH ROW SET NEW.id = NEW.id + 0 -- ids are kept as given',
  "CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' COMMENT 'purge' DO DELETE FROM audit_log WHERE at < NOW() - INTERVAL 30 DAY",
  "CREATE EVENT ev_off ON SCHEDULE EVERY 2 HOUR DISABLE DO DELETE FROM audit_log WHERE action = 'x'",
];
