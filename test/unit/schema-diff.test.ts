import { describe, expect, it } from 'vitest';
import { parseCreateTable, explicitCharset, parseTableOptions } from '../../src/core/schema/parse-create-table.js';
import { columnChangeLoss, enumValues } from '../../src/core/schema/column-change.js';
import { columnClauses } from '../../src/core/schema/alter-columns.js';
import { diffTables } from '../../src/core/schema/diff.js';
import type { ColumnTypeDetail, TableDef } from '../../src/core/schema/model.js';
import { unwrapTriggerBody, wrapTriggerBody } from '../../src/core/routines/trigger-guard.js';
import { definersMatch, extractDefiner, parseDefinerPlain, targetDefiner } from '../../src/core/routines/definer.js';
import { orderViews } from '../../src/core/routines/diff.js';
import { createEvent, TARGET_EVENT_STATUS } from '../../src/core/routines/render.js';
import { eventStatus, STATUS_MARK, type EventDef, type ViewDef } from '../../src/core/routines/model.js';
import { eventText, parseCreateView } from '../../src/core/routines/introspect.js';
import { tableFilter } from '../../src/core/table-filter.js';
import { parseFlavor } from '../../src/core/db/flavor.js';

// Recorded from MySQL 8.0 (cannot run here): bare int, 0900 collation, INVISIBLE index
// comment, functional index, double-parenthesised CHECK, partitioning in a version comment.
const MYSQL8 = `CREATE TABLE \`t\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`name\` varchar(20) COLLATE utf8mb4_bin DEFAULT NULL,
  \`j\` json DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`k\` (\`name\`) /*!80000 INVISIBLE */,
  KEY \`f\` ((lower(\`name\`))),
  CONSTRAINT \`c1\` CHECK ((\`id\` > 0))
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci
/*!50100 PARTITION BY RANGE (\`id\`)
(PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB,
 PARTITION p1 VALUES LESS THAN MAXVALUE ENGINE = InnoDB) */`;

const MARIADB = `CREATE TABLE \`we\`\`ird\` (
  \`order\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`e\` enum('a','b c','it''s') DEFAULT NULL,
  \`g\` varchar(10) GENERATED ALWAYS AS (ucase(\`e\`)) STORED,
  PRIMARY KEY (\`order\`),
  UNIQUE KEY \`uk\` (\`e\`(1) DESC),
  FULLTEXT KEY \`ft\` (\`g\`),
  CONSTRAINT \`fk\` FOREIGN KEY (\`order\`) REFERENCES \`other\` (\`id\`) ON DELETE CASCADE
) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='x=1 y'`;

function info(columnType: string, extra: Partial<ColumnTypeDetail> = {}): ColumnTypeDetail {
  const dataType = (/^\w+/.exec(columnType)?.[0] ?? '').toLowerCase();
  const len = /\((\d+)\)/.exec(columnType);
  return {
    columnType, dataType, charMaxLength: len ? Number(len[1]) : null, numericPrecision: null, numericScale: null,
    datetimePrecision: null, charset: null, collation: null, nullable: true, ...extra,
  };
}

function table(name: string, cols: string[]): TableDef {
  return {
    name, primaryKey: null, indexes: [], foreignKeys: [], checks: [], options: 'ENGINE=InnoDB', partition: null, createSql: '',
    columns: cols.map((c) => ({ name: c, sql: `\`${c}\` int(11) DEFAULT NULL`, info: info('int(11)') })),
  };
}

describe('parseCreateTable', () => {
  it('splits a MariaDB SHOW CREATE TABLE into columns, keys, constraints and options without the counter', () => {
    const p = parseCreateTable(MARIADB);
    expect(p.name).toBe('we`ird');
    expect(p.columns.map((c) => c.name)).toEqual(['order', 'e', 'g']);
    expect(p.primaryKey).toBe('PRIMARY KEY (`order`)');
    expect(p.indexes.map((i) => i.name)).toEqual(['uk', 'ft']);
    expect(p.foreignKeys).toEqual([{ name: 'fk', sql: 'CONSTRAINT `fk` FOREIGN KEY (`order`) REFERENCES `other` (`id`) ON DELETE CASCADE' }]);
    expect(p.options).toBe("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='x=1 y'");
    expect(p.createSql).not.toContain('AUTO_INCREMENT=42');
    expect(p.createSql).toContain('`order` int(10) unsigned NOT NULL AUTO_INCREMENT,');
    expect(parseTableOptions(p.options).get('COMMENT')).toBe("'x=1 y'");
  });

  it('reads MySQL 8 output (recorded): functional and invisible indexes, CHECK, partitioning in a version comment', () => {
    const p = parseCreateTable(MYSQL8);
    expect(p.indexes.map((i) => i.name)).toEqual(['k', 'f']);
    expect(p.checks).toEqual([{ name: 'c1', sql: 'CONSTRAINT `c1` CHECK ((`id` > 0))' }]);
    expect(p.options).toBe('ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci');
    expect(p.partition).toBe('PARTITION BY RANGE (`id`)\n(PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB,\n PARTITION p1 VALUES LESS THAN MAXVALUE ENGINE = InnoDB)');
    expect(p.createSql).toContain('/*!50100 PARTITION BY');
  });

  it('spells out character set and collation after the type, quote-aware', () => {
    const i = info("enum('a b','c')", { charset: 'latin1', collation: 'latin1_bin' });
    expect(explicitCharset("`e` enum('a b','c') COLLATE latin1_bin DEFAULT NULL", i)).toBe("`e` enum('a b','c') CHARACTER SET latin1 COLLATE latin1_bin DEFAULT NULL");
    expect(explicitCharset('`n` int(11) DEFAULT NULL', info('int(11)'))).toBe('`n` int(11) DEFAULT NULL');
  });
});

describe('columnChangeLoss', () => {
  const cases: Array<[string, ColumnTypeDetail, ColumnTypeDetail, string[]]> = [
    ['widening varchar is safe', info('varchar(10)'), info('varchar(20)'), []],
    ['narrowing varchar loses data', info('varchar(20)'), info('varchar(5)'), ['column `c` narrows varchar(20) to varchar(5)']],
    ['int to tinyint loses data', info('int(11)'), info('tinyint(4)'), ['column `c` narrows int(11) to tinyint(4)']],
    ['int to bigint is safe', info('int(11)'), info('bigint(20)'), []],
    ['unsigned int to bigint is safe', info('int(10) unsigned'), info('bigint(20)'), []],
    ['signed to unsigned loses negatives', info('int(11)'), info('int(10) unsigned'), ['column `c` changes signedness int(11) to int(10) unsigned']],
    ['decimal scale down loses data', info('decimal(10,2)', { numericPrecision: 10, numericScale: 2 }), info('decimal(10,1)', { numericPrecision: 10, numericScale: 1 }), ['column `c` narrows decimal(10,2) to decimal(10,1)']],
    ['enum losing a value loses data', info("enum('a','b')"), info("enum('a')"), ["column `c` removes enum value(s) 'b'"]],
    ['enum gaining a value is safe', info("enum('a')"), info("enum('a','b')"), []],
    ['text to varchar is a narrowing', info('text', { charMaxLength: 65535 }), info('varchar(10)'), ['column `c` narrows text to varchar(10)']],
    ['varchar to int changes type', info('varchar(10)'), info('int(11)'), ['column `c` changes type varchar(10) to int(11)']],
    ['date to datetime is safe', info('date'), info('datetime')],
    ['NOT NULL is flagged', info('int(11)'), info('int(11)', { nullable: false }), ['column `c` becomes NOT NULL (existing NULLs would be replaced)']],
    ['utf8mb4 to latin1 is flagged', info('varchar(5)', { charset: 'utf8mb4' }), info('varchar(5)', { charset: 'latin1' }), ['column `c` converts character set utf8mb4 to latin1']],
  ].map((c) => [c[0], c[1], c[2], c[3] ?? []] as [string, ColumnTypeDetail, ColumnTypeDetail, string[]]);
  for (const [name, from, to, want] of cases) {
    it(name, () => expect(columnChangeLoss('c', from, to)).toEqual(want));
  }
  it('reads enum values with quotes inside', () => expect(enumValues("enum('a','it''s','b c')")).toEqual(['a', "it's", 'b c']));
});

describe('column order and drops', () => {
  it('moves columns with FIRST / AFTER so the order matches the source', () => {
    const out = columnClauses(table('t', ['c', 'a', 'b']), table('t', ['a', 'b', 'c']), false);
    expect(out.apply.map((c) => c.sql)).toEqual(['MODIFY COLUMN `c` int(11) DEFAULT NULL FIRST']);
  });
  it('withholds a drop when destructive changes are not allowed, and the kept column drifts to the end', () => {
    const out = columnClauses(table('t', ['a', 'b']), table('t', ['a', 'x', 'b']), false);
    expect(out.pending.map((c) => c.sql)).toEqual(['DROP COLUMN `x`']);
    expect(out.apply.map((c) => c.sql)).toEqual(['MODIFY COLUMN `b` int(11) DEFAULT NULL AFTER `a`']);
    expect(columnClauses(table('t', ['a', 'b']), table('t', ['a', 'b', 'x']), false).apply).toEqual([]);
  });
  it('plans a missing table as CREATE and an extra one as a destructive DROP', () => {
    const src = { ...table('new', ['a']), createSql: 'CREATE TABLE `new` (...)' };
    const steps = diffTables([src], [table('gone', ['a'])], { allowDestructive: false });
    expect(steps.map((s) => [s.name, s.action, s.destructive])).toEqual([['gone', 'drop', true], ['new', 'create', false]]);
  });
});

describe('trigger guard, DEFINER rule, views, events, filters', () => {
  it('wraps and unwraps a trigger body exactly', () => {
    const w = wrapTriggerBody('SET NEW.a = 1');
    expect(w).toBe('BEGIN IF @db_sync_applying IS NULL THEN\nSET NEW.a = 1\n;\nEND IF; END');
    expect(unwrapTriggerBody(w)).toEqual({ body: 'SET NEW.a = 1', guarded: true });
    expect(unwrapTriggerBody('SET NEW.a = 1')).toEqual({ body: 'SET NEW.a = 1', guarded: false });
  });

  it('parses DEFINERs with quotes and keeps or rewrites them', () => {
    const { definer, rest } = extractDefiner('CREATE DEFINER=`we``ird user`@`%` PROCEDURE `p`() SELECT 1');
    expect(definer).toEqual({ user: 'we`ird user', host: '%' });
    expect(rest).toBe('CREATE PROCEDURE `p`() SELECT 1');
    const env = { accounts: new Set(['app@%']), currentUser: parseDefinerPlain('sync@10.0.0.1') };
    expect(targetDefiner({ user: 'app', host: '%' }, env)).toBe('`app`@`%`');
    expect(targetDefiner({ user: 'ghost', host: '%' }, env)).toBe('CURRENT_USER');
    expect(definersMatch({ user: 'ghost', host: '%' }, { user: 'sync', host: '10.0.0.1' }, env)).toBe(true);
    expect(definersMatch({ user: 'app', host: '%' }, { user: 'sync', host: '10.0.0.1' }, env)).toBe(false);
    expect(targetDefiner({ user: 'app', host: '%' }, { accounts: null, currentUser: null })).toBe('CURRENT_USER');
  });

  it('orders views so a view comes after the views it selects from', () => {
    const v = (name: string, body: string): ViewDef => ({ name, body, definer: null, algorithm: 'UNDEFINED', security: 'DEFINER', ctx: { characterSetClient: 'utf8mb4', collationConnection: 'utf8mb4_general_ci' } });
    const order = orderViews([v('a', 'select * from `c`'), v('b', 'select 1'), v('c', 'select * from `b`')]).map((x) => x.name);
    expect(order).toEqual(['b', 'c', 'a']);
  });

  it('reads MySQL\'s REPLICA_SIDE_DISABLED as SLAVESIDE_DISABLED, the status every synced event has on the target', () => {
    expect(eventStatus('REPLICA_SIDE_DISABLED')).toBe('SLAVESIDE_DISABLED');
    expect(eventStatus('SLAVESIDE_DISABLED')).toBe(TARGET_EVENT_STATUS);
    expect(eventStatus('DISABLED')).toBe('DISABLED');
  });

  it('creates an enabled source event with the flavor\'s disabled-on-replica clause', () => {
    const e: EventDef = { name: 'e', definer: null, text: `EVENT \`e\` ON SCHEDULE EVERY 1 HOUR ON COMPLETION NOT PRESERVE ${STATUS_MARK} DO SELECT 1`, status: 'ENABLED', timeZone: 'SYSTEM', ctx: { characterSetClient: 'utf8mb4', collationConnection: 'utf8mb4_general_ci' } };
    const env = { accounts: null, currentUser: null };
    expect(createEvent(e, env, parseFlavor('10.11.6-MariaDB').eventDisabledOnTarget)).toContain('PRESERVE DISABLE ON SLAVE DO');
    expect(createEvent(e, env, parseFlavor('8.4.0').eventDisabledOnTarget)).toContain('PRESERVE DISABLE ON REPLICA DO');
    // disabled on the source: still replica-side disabled, as a native replica's replication thread makes it
    expect(createEvent({ ...e, status: 'DISABLED' }, env, 'DISABLE ON SLAVE')).toContain('PRESERVE DISABLE ON SLAVE DO');
  });

  it('filters tables with include/exclude globs and never includes _db_sync_ tables', () => {
    const f = tableFilter({ include: ['shop_*', 'users'], exclude: ['*_tmp'] });
    expect(['shop_a', 'shop_tmp', 'users', 'other', '_db_sync_checkpoint'].filter(f)).toEqual(['shop_a', 'users']);
    expect(tableFilter({ include: [], exclude: [] })('_db_sync_x')).toBe(false);
  });

  it('reads MySQL 8 SHOW CREATE VIEW and SHOW CREATE EVENT output (recorded)', () => {
    const ctx = { characterSetClient: 'utf8mb4', collationConnection: 'utf8mb4_0900_ai_ci' };
    const v = parseCreateView('v', 'CREATE ALGORITHM=UNDEFINED DEFINER=`app`@`%` SQL SECURITY INVOKER VIEW `v` AS select `shop`.`t`.`id` AS `id` from `shop`.`t` WITH CASCADED CHECK OPTION', 'shop', ctx);
    expect(v).toMatchObject({ definer: { user: 'app', host: '%' }, algorithm: 'UNDEFINED', security: 'INVOKER', body: 'select `t`.`id` AS `id` from `t` WITH CASCADED CHECK OPTION' });
    const e = eventText("CREATE DEFINER=`root`@`localhost` EVENT `e` ON SCHEDULE EVERY 1 HOUR STARTS '2024-01-01 00:00:00' ON COMPLETION NOT PRESERVE DISABLE ON REPLICA COMMENT 'x' DO select 1");
    expect(e.text).toBe(`EVENT \`e\` ON SCHEDULE EVERY 1 HOUR STARTS '2024-01-01 00:00:00' ON COMPLETION NOT PRESERVE ${STATUS_MARK} COMMENT 'x' DO select 1`);
  });
});
