// Packed row batches (packed-rows.ts, native/rewind_rows.c): what SQLite reads out of a packed batch is what
// better-sqlite3 stores when it binds the same values, and a damaged batch is an SQL error, never a crash.
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { PackedColumnReader, RowPacker, loadPackedRows, packedInsertSql, packedRowsLibrary, unpackRows } from './packed-rows.js';

const isCI = process.env.CI === 'true';
const library = packedRowsLibrary();
// The extension is built by `npm install` (analysis/scripts/build-native.mjs, needs a C compiler). CI must have it.
const missing = library === null ? 'the rewind_rows SQLite extension is not built (npm install builds it with cc)' : null;
if (missing !== null) process.stdout.write(`packed-rows.test: ${missing}${isCI ? '' : ': its SQL tests are skipped here'}\n`);

const COLS = ['a', 'b', 'c', 'd'];
const insert = `INSERT OR FAIL INTO t(${COLS.join(',')}) VALUES (${COLS.map(() => '?').join(',')})`;

function table(db: Database.Database): void {
  db.exec('CREATE TABLE t (a INTEGER, b TEXT, c, d REAL)');
}

/** Rows stored by binding each value with better-sqlite3 and by the extension reading the packed batch. */
function both(rows: unknown[][]): { bound: unknown[][]; packed: unknown[][] } {
  const bound = new Database(':memory:');
  const packed = new Database(':memory:');
  try {
    table(bound);
    table(packed);
    loadPackedRows(packed, library as string);
    const stmt = bound.prepare(insert);
    for (const r of rows) stmt.run(...r);
    const data = new RowPacker().pack(rows.flat(), rows.length, COLS.length);
    expect(data).not.toBeNull();
    const info = packed.prepare(packedInsertSql(insert, COLS.length) as string).run(data);
    expect(info.changes).toBe(rows.length);
    const q = `SELECT ${COLS.map((c) => `${c}, typeof(${c})`).join(', ')} FROM t ORDER BY rowid`;
    return { bound: bound.prepare(q).raw().all() as unknown[][], packed: packed.prepare(q).raw().all() as unknown[][] };
  } finally {
    bound.close();
    packed.close();
  }
}

const MIXED: unknown[][] = [
  [1, 'GET', null, 0.5],
  [-7, 'GET', 'x', -0],
  [2 ** 53 - 1, '', '', 1e300],
  [1709294400003048, 'héllo wörld', 'ünïcödé 😀 𝄞', Number.NaN],
  [0, 'GET', 12.25, Infinity],
  [null, null, null, null],
  [3, 'x'.repeat(100_000), 'GET', 4],
  [4, 'GET', 'x', 5],
];

describe('packed rows: format', () => {
  test('packing and unpacking give the values back (repeats, empty texts, numbers, nulls, growth past the first buffer)', () => {
    const p = new RowPacker();
    const flat = MIXED.flat();
    const data = p.pack(flat, MIXED.length, COLS.length);
    expect(data).not.toBeNull();
    expect(unpackRows(data as Uint8Array, COLS.length)).toEqual(flat.map((x) => (x === undefined ? null : x)));
    // A string repeated from the row before is one tag byte: header 16, four texts of 5 bytes (tag, length) and their
    // 3 bytes in the text section, four repeats.
    const rep = p.pack(['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET'], 2, 4) as Uint8Array;
    expect(rep.length).toBe(16 + 4 * 5 + 4 + 4 * 3);
    expect(unpackRows(rep, 4)).toEqual(Array.from({ length: 8 }, () => 'GET'));
  });

  test('a batch holding a value that is not a number, a string or null is not packed (handed over as values)', () => {
    const p = new RowPacker();
    expect(p.pack([1, 2n, 'x', null], 1, 4)).toBeNull();
    expect(p.pack([1, true, 'x', null], 1, 4)).toBeNull();
    expect(p.pack([1, Buffer.from('x'), 'x', null], 1, 4)).toBeNull();
    // The packer still works after a refused batch.
    expect(unpackRows(p.pack([1, 'a', null, 2], 1, 4) as Uint8Array, 4)).toEqual([1, 'a', null, 2]);
  });

  test('buffers come back for reuse and a reused buffer holds only the new batch', () => {
    const p = new RowPacker();
    const first = p.pack(['long text '.repeat(50), 1, 2, 3], 1, 4) as Uint8Array;
    p.recycle(first.buffer as ArrayBuffer);
    const second = p.pack(['b', 1, 2, 3], 1, 4) as Uint8Array;
    expect(second.buffer).toBe(first.buffer);
    expect(unpackRows(second, 4)).toEqual(['b', 1, 2, 3]);
  });

  test('the column reader gives the chosen columns of every row', () => {
    const p = new RowPacker();
    const data = p.pack(MIXED.flat(), MIXED.length, COLS.length) as Uint8Array;
    const r = new PackedColumnReader(COLS.length, [2, 0]);
    const seen: unknown[][] = [];
    expect(r.read(data, (v) => seen.push([...v]))).toBe(MIXED.length);
    expect(seen).toEqual(MIXED.map((row) => [row[2], row[0]]));
  });

  test('statements of another shape are not rewritten', () => {
    expect(packedInsertSql('INSERT INTO t(a) SELECT 1', 1)).toBeNull();
    expect(packedInsertSql(insert, 5000)).toBeNull();
    expect(packedInsertSql(insert, 4)).toBe('INSERT OR FAIL INTO t(a,b,c,d) SELECT c0, c1, c2, c3 FROM rewind_rows(?, 4)');
  });
});

describe.skipIf(missing !== null && !isCI)('packed rows: the SQLite extension', () => {
  test('is built (CI must have it)', () => {
    expect(missing).toBeNull();
  });

  test('stores the same values with the same types as binding them', () => {
    const { bound, packed } = both(MIXED);
    expect(packed).toEqual(bound);
    expect(packed.length).toBe(MIXED.length);
  });

  test('a damaged batch fails its statement with an error, rows before it stay, nothing crashes', () => {
    const db = new Database(':memory:');
    try {
      table(db);
      loadPackedRows(db, library as string);
      const stmt = db.prepare(packedInsertSql(insert, COLS.length) as string);
      const good = new RowPacker().pack(MIXED.slice(0, 6).flat(), 6, COLS.length) as Uint8Array;
      const bad: [string, Uint8Array][] = [
        ['truncated', good.slice(0, good.length - 3)],
        ['header only', good.slice(0, 16)],
        ['short header', good.slice(0, 10)],
        ['unknown tag', (() => { const b = good.slice(); b[16] = 9; return b; })()],
        ['repeat before any text', new RowPacker().pack([1, null, null, 2], 1, 4) ?? new Uint8Array()],
      ];
      // The repeat case: the second value's tag (after tag 1) turned into a repeat of a column with no text yet.
      bad[4][1][17] = 3;
      for (const [what, data] of bad) {
        expect(() => stmt.run(data), what).toThrow(/rewind_rows|corrupt|malformed/i);
      }
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
      expect(stmt.run(good).changes).toBe(6);
    } finally {
      db.close();
    }
  });

  test('fuzz: 20,000 mutated and random batches end as rows or as an error', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (a, b, c, d)');
      loadPackedRows(db, library as string);
      const stmt = db.prepare(packedInsertSql(insert, COLS.length) as string);
      const good = new RowPacker().pack(MIXED.slice(0, 6).flat(), 6, COLS.length) as Uint8Array;
      let seed = 12345;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      let ok = 0;
      let failed = 0;
      db.exec('BEGIN');
      for (let i = 0; i < 20_000; i++) {
        let data: Uint8Array;
        if (i % 4 === 0) {
          data = new Uint8Array(rnd(64));
          for (let j = 0; j < data.length; j++) data[j] = rnd(256);
          if (data.length >= 16 && rnd(2) === 0) data.set([16 + rnd(data.length - 16), 0, 0, 0, rnd(4), 0, 0, 0, rnd(16), 0, 0, 0]);
        } else {
          data = good.slice(0, good.length - (rnd(3) === 0 ? rnd(good.length) : 0));
          for (let m = 1 + rnd(4); m > 0; m--) if (data.length > 0) data[rnd(data.length)] = rnd(256);
        }
        try {
          stmt.run(data);
          ok++;
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          failed++;
        }
      }
      db.exec('COMMIT');
      expect(ok + failed).toBe(20_000);
      expect(failed).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
