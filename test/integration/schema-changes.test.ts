/**
 * One test per kind of change on the source. Each applies the change on the source, checks
 * the plan's statements, applies the plan, compares everything (SHOW CREATE ...) and checks
 * that a second plan is empty. The cases run in order on one pair of databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { planSchema, syncSchema } from '../../src/core/pair/schema-step.js';
import { FIXTURE, pairFor, run, snapshot } from './schema-helpers.js';

interface Case {
  name: string;
  sql: string[];
  /** Each must match the plan's statements (joined with ';\n'). */
  expect: RegExp[];
  /** Step kinds expected, as `type name action`. */
  steps?: string[];
}

const CASES: Case[] = [
  { name: 'adds a column at its source position', sql: ['ALTER TABLE orders ADD COLUMN paid TINYINT(1) NOT NULL DEFAULT 0 AFTER customer_id'],
    expect: [/ALTER TABLE `orders`\n {2}ADD COLUMN `paid` tinyint\(1\) NOT NULL DEFAULT 0 AFTER `customer_id`/] },
  { name: 'drops a column', sql: ['ALTER TABLE orders DROP COLUMN note'], expect: [/DROP COLUMN `note`/] },
  { name: 'modifies a column (widening VARCHAR, new default and comment)', sql: ["ALTER TABLE z_parent MODIFY label VARCHAR(60) NOT NULL DEFAULT 'none' COMMENT 'shown'"],
    expect: [/MODIFY COLUMN `label` varchar\(60\) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT 'none' COMMENT 'shown' AFTER `id`/] },
  { name: 'reorders columns with FIRST / AFTER', sql: ['ALTER TABLE orders MODIFY total DECIMAL(10,2) NOT NULL FIRST'],
    expect: [/MODIFY COLUMN `total` decimal\(10,2\) NOT NULL FIRST/] },
  { name: 'adds an index', sql: ['CREATE INDEX idx_total ON orders (total, id)'], expect: [/ADD KEY `idx_total` \(`total`,`id`\)/] },
  { name: 'changes an index', sql: ['ALTER TABLE orders DROP INDEX idx_total, ADD UNIQUE INDEX idx_total (total DESC, id)'],
    expect: [/DROP INDEX `idx_total`,\n {2}ADD UNIQUE KEY `idx_total` \(`total` DESC,`id`\)/] },
  { name: 'drops an index', sql: ['DROP INDEX idx_total ON orders'], expect: [/ALTER TABLE `orders`\n {2}DROP INDEX `idx_total`$/m] },
  { name: 'changes a primary key', sql: ['ALTER TABLE z_parent DROP PRIMARY KEY, ADD PRIMARY KEY (id, label)'],
    expect: [/DROP PRIMARY KEY,\n {2}ADD PRIMARY KEY \(`id`,`label`\)/] },
  { name: 'adds a CHECK constraint', sql: ['ALTER TABLE orders ADD CONSTRAINT chk_total CHECK (total >= 0)'], expect: [/ADD CONSTRAINT `chk_total` CHECK \(`total` >= 0\)/] },
  { name: 'adds a foreign key after the table it references exists', sql: ['CREATE TABLE shipper (id INT PRIMARY KEY)', 'ALTER TABLE orders ADD COLUMN shipper_id INT, ADD CONSTRAINT fk_orders_shipper FOREIGN KEY (shipper_id) REFERENCES shipper (id)'],
    expect: [/CREATE TABLE `shipper`/, /ADD CONSTRAINT `fk_orders_shipper` FOREIGN KEY \(`shipper_id`\) REFERENCES `shipper` \(`id`\)/],
    steps: ['table shipper create', 'table orders alter', 'table orders alter'] },
  { name: 'drops a foreign key', sql: ['ALTER TABLE orders DROP FOREIGN KEY fk_orders_shipper'], expect: [/DROP FOREIGN KEY `fk_orders_shipper`/] },
  { name: 'adds two FULLTEXT indexes, one per statement (InnoDB builds one at a time)', sql: ['ALTER TABLE orders ADD COLUMN memo TEXT, ADD COLUMN memo2 TEXT', 'ALTER TABLE orders ADD FULLTEXT ft_memo (memo), ADD FULLTEXT ft_memo2 (memo2)'],
    expect: [/ADD FULLTEXT KEY `ft_memo` \(`memo`\);\nALTER TABLE `orders`\n {2}ADD FULLTEXT KEY `ft_memo2` \(`memo2`\)/] },
  { name: 'renames a table (drop + create)', sql: ['RENAME TABLE shipper TO carrier'], expect: [/DROP TABLE `shipper`/, /CREATE TABLE `carrier`/],
    steps: ['table shipper drop', 'table carrier create'] },
  { name: 'changes table options (engine, comment, row format, charset)', sql: ['ALTER TABLE carrier ADD COLUMN name VARCHAR(10)', "ALTER TABLE carrier ENGINE=Aria COMMENT='carriers' ROW_FORMAT=PAGE DEFAULT CHARSET=latin1"],
    expect: [/ADD COLUMN `name` varchar\(10\) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT NULL AFTER `id`,\n {2}ENGINE=Aria DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci .*ROW_FORMAT=PAGE COMMENT='carriers'/] },
  { name: 'changes partitioning', sql: ['ALTER TABLE sales PARTITION BY HASH (id) PARTITIONS 4'], expect: [/ALTER TABLE `sales` PARTITION BY HASH \(`id`\)\nPARTITIONS 4/] },
  { name: 'removes partitioning', sql: ['ALTER TABLE sales REMOVE PARTITIONING'], expect: [/ALTER TABLE `sales` REMOVE PARTITIONING/] },
  { name: 'creates a new view', sql: ['CREATE VIEW v_big AS SELECT id FROM orders WHERE total > 100'], expect: [/CREATE OR REPLACE .*VIEW `v_big` AS select/] },
  { name: 'changes a view and re-creates the view built on it', sql: ["CREATE OR REPLACE VIEW v_active AS SELECT id, email FROM customer WHERE status <> 'gone'"],
    expect: [/VIEW `v_active` AS select .*<> 'gone'/], steps: ['view v_active replace', 'view a_view_on_view replace'] },
  { name: 'drops a view', sql: ['DROP VIEW v_big'], expect: [/DROP VIEW IF EXISTS `v_big`/] },
  { name: 'creates a procedure', sql: ['CREATE PROCEDURE sp_count(OUT n INT) READS SQL DATA SELECT COUNT(*) INTO n FROM orders'], expect: [/CREATE DEFINER=`root`@`127.0.0.1` PROCEDURE `sp_count`\(OUT n INT\)/] },
  { name: 'changes a procedure', sql: ['DROP PROCEDURE sp_count', 'CREATE PROCEDURE sp_count(OUT n INT) READS SQL DATA SELECT COUNT(*) + 0 INTO n FROM orders'],
    expect: [/DROP PROCEDURE IF EXISTS `sp_count`;\nCREATE DEFINER=.* PROCEDURE `sp_count`.*\n.*\nSELECT COUNT\(\*\) \+ 0/] },
  { name: 'drops a procedure', sql: ['DROP PROCEDURE sp_count'], expect: [/^DROP PROCEDURE IF EXISTS `sp_count`$/m] },
  { name: 'creates a function', sql: ['CREATE FUNCTION fn_two() RETURNS INT DETERMINISTIC RETURN 2'], expect: [/FUNCTION `fn_two`\(\) RETURNS int\(11\)/] },
  { name: 'changes a function', sql: ['DROP FUNCTION fn_two', 'CREATE FUNCTION fn_two() RETURNS INT DETERMINISTIC RETURN 1 + 1'], expect: [/DROP FUNCTION IF EXISTS `fn_two`;\nCREATE .*RETURN 1 \+ 1/s] },
  { name: 'drops a function', sql: ['DROP FUNCTION fn_two'], expect: [/^DROP FUNCTION IF EXISTS `fn_two`$/m] },
  { name: 'creates a trigger', sql: ["CREATE TRIGGER trg_orders_bu BEFORE UPDATE ON orders FOR EACH ROW SET NEW.total = GREATEST(NEW.total, 0)"],
    expect: [/TRIGGER `trg_orders_bu` BEFORE UPDATE ON `orders` FOR EACH ROW BEGIN IF @db_sync_applying IS NULL THEN\nSET NEW.total = GREATEST\(NEW.total, 0\)\n;\nEND IF; END/] },
  { name: 'changes a trigger', sql: ['DROP TRIGGER trg_orders_bu', 'CREATE TRIGGER trg_orders_bu BEFORE UPDATE ON orders FOR EACH ROW SET NEW.total = GREATEST(NEW.total, 1)'],
    expect: [/GREATEST\(NEW.total, 1\)/], steps: ['trigger trg_orders_bu drop', 'trigger trg_orders_bu replace'] },
  { name: 'drops a trigger', sql: ['DROP TRIGGER trg_orders_bu'], expect: [/^DROP TRIGGER IF EXISTS `trg_orders_bu`$/m] },
  { name: 'creates an event (disabled on the target)', sql: ["CREATE EVENT ev_new ON SCHEDULE AT '2031-01-01 00:00:00' ON COMPLETION PRESERVE DO DELETE FROM audit_log"],
    expect: [/EVENT `ev_new` ON SCHEDULE AT '2031-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE ON SLAVE DO DELETE FROM audit_log/] },
  { name: 'changes an event', sql: ["ALTER EVENT ev_new ON SCHEDULE AT '2032-01-01 00:00:00'"], expect: [/DROP EVENT IF EXISTS `ev_new`;\nCREATE .*AT '2032-01-01 00:00:00'/] },
  { name: 'drops an event', sql: ['DROP EVENT ev_new'], expect: [/^DROP EVENT IF EXISTS `ev_new`$/m] },
];

describe('each kind of source change is planned, applied, and leaves an empty second plan', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createContext('schemach');
    await run(ctx.source, FIXTURE);
    await syncSchema(pairFor(ctx, { allowDestructive: true }));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      await run(ctx.source, c.sql);
      const pair = pairFor(ctx, { allowDestructive: true });
      const plan = await planSchema(pair);
      const text = plan.steps.flatMap((s) => s.statements).join(';\n');
      for (const re of c.expect) expect(text).toMatch(re);
      if (c.steps) expect(plan.steps.map((s) => `${s.objectType} ${s.name} ${s.action}`)).toEqual(c.steps);
      const res = await syncSchema(pair);
      expect(res.applied).toBe(plan.steps.length);
      expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
      expect((await planSchema(pair)).steps).toEqual([]);
    });
  }
});
