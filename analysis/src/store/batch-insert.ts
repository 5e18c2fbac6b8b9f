// Inserts batches of flat row values with prepared statements, one transaction per batch, and feeds l7_flow_log
// rows to the RED rollup on the way. Shared by the inline writer and the writer thread.
import type Database from 'better-sqlite3';
import { AppRollup } from './app-rollup.js';
import type { L7RowLayout } from './app-rollup.js';

export interface BatchTable {
  /** INSERT statement for one row. */
  sql: string;
  /** Values per row. */
  width: number;
}

/** Which tables the rollup reads and writes (indexes into the table list). */
export interface RollupConfig {
  l7: number;
  app1s: number;
  app1m: number;
  layout: L7RowLayout;
}

export class BatchInserter {
  private readonly stmts: Database.Statement[];
  private readonly widths: number[];
  private readonly rollup: AppRollup | null = null;
  private readonly rollupConfig: RollupConfig | null;
  private readonly insertTx: (table: number, values: readonly unknown[], rows: number) => void;
  private readonly flushTx: () => void;

  constructor(db: Database.Database, tables: readonly BatchTable[], rollup: RollupConfig | null) {
    this.stmts = tables.map((t) => db.prepare(t.sql));
    this.widths = tables.map((t) => t.width);
    this.rollupConfig = rollup;
    if (rollup !== null) {
      const s1 = this.stmts[rollup.app1s];
      const s60 = this.stmts[rollup.app1m];
      this.rollup = new AppRollup(rollup.layout, (minute, values) => (minute ? s60 : s1).run(values));
    }
    this.insertTx = db.transaction((table: number, v: readonly unknown[], rows: number) => {
      const stmt = this.stmts[table];
      const width = this.widths[table];
      const feed = this.rollup !== null && table === this.rollupConfig?.l7 ? this.rollup : null;
      for (let r = 0, o = 0; r < rows; r++, o += width) {
        stmt.run(v.slice(o, o + width));
        if (feed !== null) feed.addRow(v, o);
      }
    });
    this.flushTx = db.transaction(() => this.rollup?.flush());
  }

  /** Inserts `rows` rows whose values lie back to back in `values`. */
  insert(table: number, values: readonly unknown[], rows: number): void {
    this.insertTx(table, values, rows);
  }

  /** Writes out every open rollup row (end of a bundle). */
  flushRollups(): void {
    this.flushTx();
  }
}
