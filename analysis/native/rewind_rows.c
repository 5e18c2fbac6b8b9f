/*
 * rewind_rows: an SQLite extension with one table-valued function, rewind_rows(data, width), that yields the rows
 * packed in the blob `data` (see analysis/src/store/packed-rows.ts for the format and why). It lets the store's writer
 * thread insert a whole batch with one statement step per row and no binding per value:
 *
 *   INSERT INTO t (a, b, c) SELECT c0, c1, c2 FROM rewind_rows(?, 3)
 *
 * Format (all integers little-endian):
 *   bytes 0..3    uint32 V: where the value section ends; the number section starts at V rounded up to 8
 *   bytes 4..7    uint32 N: how many numbers it holds (8 bytes each, IEEE 754 doubles)
 *   bytes 8..11   uint32 L: bytes in the text section, which follows the number section
 *   bytes 12..15  0
 *   bytes 16..V   the values of each row one after the other, `width` per row, each a tag byte and its payload:
 *     0  NULL                      (no payload)
 *     1  a number                  (none here: the next double of the number section; column affinity stores
 *                                   integers as such)
 *     2  a text                    uint32 length: the next that many bytes (UTF-8) of the text section
 *     3  the same text as the last text of this column in the batch (no payload)
 *     4  an empty text             (no payload)
 *   then          the number section, then the text section
 * A value that runs past its section, an unknown tag, a repeat with no text before it or a partial last row is an
 * SQL error (SQLITE_ERROR with a message naming the row): the statement fails, nothing is read out of bounds.
 *
 * Loaded with better-sqlite3's Database#loadExtension (entry point sqlite3_rewindrows_init), so it runs inside the
 * SQLite that better-sqlite3 links (the API routines come from there: SQLITE_EXTENSION_INIT2).
 */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/** Most values per row (columns c0 … c127). */
#define MAX_WIDTH 128
#define COL_DATA MAX_WIDTH
#define COL_WIDTH (MAX_WIDTH + 1)

typedef struct {
  sqlite3_vtab base;
} RowsVtab;

typedef struct {
  sqlite3_vtab_cursor base;
  const unsigned char *p;     /* next row */
  const unsigned char *end;   /* end of the value section */
  const unsigned char *num;   /* next number */
  const unsigned char *numEnd;
  const unsigned char *txt;   /* next text */
  const unsigned char *txtEnd;
  int width;
  int eof;
  sqlite3_int64 rowid;
  /* The current row: per column its kind (0 null, 1 number, 2 text) and where the number or the text is. */
  unsigned char kind[MAX_WIDTH];
  const unsigned char *at[MAX_WIDTH];
  unsigned int len[MAX_WIDTH];
  /* Per column the last text of the batch (tag 3). */
  const unsigned char *lastText[MAX_WIDTH];
  unsigned int lastLen[MAX_WIDTH];
} RowsCursor;

static int rowsConnect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)aux;
  (void)argc;
  (void)argv;
  (void)err;
  char sql[MAX_WIDTH * 8 + 64];
  int n = snprintf(sql, sizeof sql, "CREATE TABLE x(");
  for (int i = 0; i < MAX_WIDTH; i++) n += snprintf(sql + n, sizeof sql - (size_t)n, "c%d,", i);
  snprintf(sql + n, sizeof sql - (size_t)n, "data HIDDEN, width HIDDEN)");
  int rc = sqlite3_declare_vtab(db, sql);
  if (rc != SQLITE_OK) return rc;
  RowsVtab *v = sqlite3_malloc(sizeof *v);
  if (v == NULL) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  *out = &v->base;
  return SQLITE_OK;
}

static int rowsDisconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

static int rowsOpen(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  RowsCursor *c = sqlite3_malloc(sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *out = &c->base;
  return SQLITE_OK;
}

static int rowsClose(sqlite3_vtab_cursor *c) {
  sqlite3_free(c);
  return SQLITE_OK;
}

static int corrupt(RowsCursor *c, const char *what) {
  sqlite3_vtab *tab = c->base.pVtab;
  sqlite3_free(tab->zErrMsg);
  tab->zErrMsg = sqlite3_mprintf("rewind_rows: %s in row %lld of the batch", what, (long long)(c->rowid));
  c->eof = 1;
  return SQLITE_ERROR; /* not SQLITE_CORRUPT: that one would mark the database itself as damaged */
}

static uint32_t u32le(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/** Reads the values of the row at c->p; eof at the end of the value section. */
static int readRow(RowsCursor *c) {
  const unsigned char *p = c->p;
  const unsigned char *end = c->end;
  if (p >= end) {
    if (c->num != c->numEnd || c->txt != c->txtEnd) return corrupt(c, "numbers or texts left over after the last row");
    c->eof = 1;
    return SQLITE_OK;
  }
  for (int i = 0; i < c->width; i++) {
    if (p >= end) return corrupt(c, "partial row");
    unsigned char tag = *p++;
    if (tag == 0) {
      c->kind[i] = 0;
    } else if (tag == 1) {
      if ((size_t)(c->numEnd - c->num) < 8) return corrupt(c, "number past the number section");
      c->kind[i] = 1;
      c->at[i] = c->num;
      c->num += 8;
    } else if (tag == 2) {
      if ((size_t)(end - p) < 4) return corrupt(c, "truncated text length");
      uint32_t n = u32le(p);
      p += 4;
      if ((size_t)(c->txtEnd - c->txt) < n || n > 0x7fffffffu) return corrupt(c, "text past the text section");
      c->kind[i] = 2;
      c->at[i] = c->lastText[i] = c->txt;
      c->len[i] = c->lastLen[i] = n;
      c->txt += n;
    } else if (tag == 3) {
      if (c->lastText[i] == NULL) return corrupt(c, "repeated text without a text before it");
      c->kind[i] = 2;
      c->at[i] = c->lastText[i];
      c->len[i] = c->lastLen[i];
    } else if (tag == 4) {
      c->kind[i] = 2;
      c->at[i] = p; /* any valid pointer: length 0 */
      c->len[i] = 0;
    } else {
      return corrupt(c, "unknown value tag");
    }
  }
  c->p = p;
  return SQLITE_OK;
}

static int rowsNext(sqlite3_vtab_cursor *cur) {
  RowsCursor *c = (RowsCursor *)cur;
  c->rowid++;
  return readRow(c);
}

static int rowsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  RowsCursor *c = (RowsCursor *)cur;
  c->eof = 1;
  c->rowid = 0;
  if (argc != 2) return SQLITE_ERROR;
  int width = sqlite3_value_int(argv[1]);
  if (width < 1 || width > MAX_WIDTH) {
    sqlite3_vtab *tab = cur->pVtab;
    sqlite3_free(tab->zErrMsg);
    tab->zErrMsg = sqlite3_mprintf("rewind_rows: width %d is not within 1..%d", width, MAX_WIDTH);
    return SQLITE_ERROR;
  }
  const unsigned char *p = sqlite3_value_blob(argv[0]);
  int bytes = sqlite3_value_bytes(argv[0]);
  c->width = width;
  memset(c->lastText, 0, sizeof c->lastText);
  if (p == NULL || bytes <= 0) return SQLITE_OK;
  if (bytes < 16) return corrupt(c, "batch shorter than its header");
  uint64_t v = u32le(p), n = u32le(p + 4), l = u32le(p + 8);
  uint64_t t = (v + 7u) & ~(uint64_t)7u;
  if (v < 16 || t + n * 8 + l != (uint64_t)bytes) return corrupt(c, "bad batch header");
  c->p = p + 16;
  c->end = p + v;
  c->num = p + t;
  c->numEnd = p + t + n * 8;
  c->txt = c->numEnd;
  c->txtEnd = c->txt + l;
  c->eof = 0;
  return readRow(c);
}

static int rowsEof(sqlite3_vtab_cursor *cur) {
  return ((RowsCursor *)cur)->eof;
}

static int rowsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  RowsCursor *c = (RowsCursor *)cur;
  if (i < 0 || i >= c->width || c->kind[i] == 0) {
    sqlite3_result_null(ctx);
  } else if (c->kind[i] == 1) {
    double d;
    memcpy(&d, c->at[i], 8); /* x86-64 and arm64 are little-endian, as the format */
    sqlite3_result_double(ctx, d);
  } else {
    /* The blob argument outlives the step that reads this value into the new row. */
    sqlite3_result_text(ctx, (const char *)c->at[i], (int)c->len[i], SQLITE_STATIC);
  }
  return SQLITE_OK;
}

static int rowsRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out) {
  *out = ((RowsCursor *)cur)->rowid;
  return SQLITE_OK;
}

static int rowsBestIndex(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  int data = -1, width = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (k->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (k->iColumn == COL_DATA || k->iColumn == COL_WIDTH) {
      if (!k->usable) return SQLITE_CONSTRAINT;
      if (k->iColumn == COL_DATA) data = i;
      else width = i;
    }
  }
  if (data < 0 || width < 0) return SQLITE_CONSTRAINT; /* both arguments are required */
  info->aConstraintUsage[data].argvIndex = 1;
  info->aConstraintUsage[data].omit = 1;
  info->aConstraintUsage[width].argvIndex = 2;
  info->aConstraintUsage[width].omit = 1;
  info->estimatedCost = 1;
  info->estimatedRows = 512;
  return SQLITE_OK;
}

/* Eponymous only (a table-valued function): no xCreate. Fields not named are zero. */
static sqlite3_module rowsModule = {
  .iVersion = 0,
  .xConnect = rowsConnect,
  .xBestIndex = rowsBestIndex,
  .xDisconnect = rowsDisconnect,
  .xOpen = rowsOpen,
  .xClose = rowsClose,
  .xFilter = rowsFilter,
  .xNext = rowsNext,
  .xEof = rowsEof,
  .xColumn = rowsColumn,
  .xRowid = rowsRowid,
};

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_rewindrows_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_module(db, "rewind_rows", &rowsModule, 0);
}
