// A virtualised table (only the visible rows are in the DOM) with sortable headers and keyboard navigation:
// ↑/↓ move the selection, Enter opens the row, Home/End jump.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';

export interface Column {
  key: string;
  title: string;
  width: number;
  align?: 'left' | 'right';
  /** `get` reads another column of the same row by its key (columns the page has but the table does not show). */
  render?: (v: unknown, row: unknown[], get: (key: string) => unknown) => string;
  className?: (v: unknown, row: unknown[]) => string | undefined;
}

export interface VirtualTableProps {
  columns: Column[];
  /** Index of each column's value in a row. */
  index: Record<string, number>;
  rows: unknown[][];
  sort?: string;
  desc?: boolean;
  onSort?: (key: string) => void;
  selected?: number | null;
  onSelect?: (i: number) => void;
  onOpen?: (i: number) => void;
  /** Called when the last rows come into view (load the next page). */
  onEnd?: () => void;
  height?: number | string;
  testId?: string;
}

const ROW_H = 26;

export function VirtualTable({ columns, index, rows, sort, desc, onSort, selected, onSelect, onOpen, onEnd, height = '100%', testId }: VirtualTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_H, overscan: 12 });
  const items = v.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (onEnd && last >= rows.length - 5 && rows.length > 0) onEnd();
  }, [last, rows.length, onEnd]);
  useEffect(() => {
    if (selected !== null && selected !== undefined) v.scrollToIndex(selected, { align: 'auto' });
  }, [selected, v]);
  const totalWidth = columns.reduce((a, c) => a + c.width, 0);
  const key = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (!onSelect || rows.length === 0) return;
    const cur = selected ?? -1;
    let next = cur;
    if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, cur + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, cur - 1);
    else if (e.key === 'PageDown') next = Math.min(rows.length - 1, cur + 20);
    else if (e.key === 'PageUp') next = Math.max(0, cur - 20);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    else if (e.key === 'Enter' && cur >= 0) {
      onOpen?.(cur);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    onSelect(next);
  };
  return (
    <div className="vtable" data-testid={testId} style={{ height }}>
      <div className="vtable-scroll" ref={scroller} tabIndex={0} onKeyDown={key} role="grid" aria-rowcount={rows.length}>
        <div className="vtable-head" style={{ width: totalWidth }} role="row">
          {columns.map((c) => (
            <div
              key={c.key}
              role="columnheader"
              className={`vtable-th ${c.align === 'right' ? 'num' : ''} ${onSort ? 'sortable' : ''}`}
              style={{ width: c.width }}
              onClick={() => onSort?.(c.key)}
              aria-sort={sort === c.key ? (desc ? 'descending' : 'ascending') : 'none'}
              title={c.key}
            >
              {c.title}
              {sort === c.key ? (desc ? ' ▾' : ' ▴') : ''}
            </div>
          ))}
        </div>
        <div style={{ height: v.getTotalSize(), width: totalWidth, position: 'relative' }}>
          {items.map((it) => {
            const row = rows[it.index];
            return (
              <div
                key={it.key}
                role="row"
                data-row={it.index}
                className={`vtable-row ${it.index === selected ? 'selected' : ''} ${it.index % 2 ? 'odd' : ''}`}
                style={{ transform: `translateY(${it.start}px)`, height: ROW_H }}
                onClick={() => onSelect?.(it.index)}
                onDoubleClick={() => {
                  window.getSelection()?.removeAllRanges();
                  onOpen?.(it.index);
                }}
              >
                {columns.map((c) => {
                  const val = row[index[c.key]];
                  return (
                    <div key={c.key} role="gridcell" className={`vtable-td ${c.align === 'right' ? 'num' : ''} ${c.className?.(val, row) ?? ''}`} style={{ width: c.width }}>
                      {c.render ? c.render(val, row, (k) => row[index[k]]) : val === null || val === undefined ? '' : String(val)}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
