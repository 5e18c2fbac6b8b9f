// The shared body of the request and flow logs: filter bar, a virtualised table that loads pages as it scrolls,
// sortable columns, and a detail panel for the selected row. Filter, sort and the open row are in the URL.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiCallError, call } from '../api';
import type { Page } from '../../common/api';
import type { ViewProps } from '../App';
import { FilterBar } from './FilterBar';
import { VirtualTable } from './VirtualTable';
import type { Column } from './VirtualTable';

const PAGE = 200;

export interface LogViewProps extends ViewProps {
  op: 'requests.list' | 'flows.list';
  columns: Column[];
  /** The id column (first column of the page). */
  idColumn: string;
  placeholder: string;
  detail: (id: number, close: () => void) => ReactNode;
  testId: string;
}

export function LogView({ op, columns, idColumn, placeholder, detail, route, navigate, range, refresh, testId }: LogViewProps) {
  const filter = route.params.filter ?? '';
  const sort = route.params.sort ?? 'start_time';
  const desc = route.params.desc === '1';
  const openId = route.params.id ? Number(route.params.id) : null;
  const [rows, setRows] = useState<unknown[][]>([]);
  const [index, setIndex] = useState<Record<string, number>>({});
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [elapsed, setElapsed] = useState<number | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const loading = useRef(false);
  const query = JSON.stringify({ filter, sort, desc, from: range.from, to: range.to, refresh });

  const load = useCallback(async (offset: number, replace: boolean) => {
    loading.current = true;
    try {
      const q = JSON.parse(query) as { filter: string; sort: string; desc: boolean; from?: number; to?: number };
      const p: Page<unknown[]> = await call(op, { filter: q.filter, sort: q.sort, desc: q.desc, from: q.from, to: q.to, offset, limit: PAGE });
      setIndex(Object.fromEntries(p.columns.map((c, i) => [c, i])));
      setRows((r) => (replace ? p.rows : [...r, ...p.rows]));
      setHasMore(p.hasMore);
      setElapsed(p.elapsedMs);
      setError(null);
    } catch (err) {
      setError(err instanceof ApiCallError ? err.message : String(err));
      if (replace) setRows([]);
    } finally {
      loading.current = false;
    }
  }, [op, query]);

  useEffect(() => {
    setSelected(null);
    void load(0, true);
  }, [load]);

  const set = (p: Record<string, string | undefined>, push = true): void => {
    const params = { ...route.params };
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined || v === '') delete params[k];
      else params[k] = v;
    }
    navigate({ params }, push);
  };
  const idOf = (i: number): number => Number(rows[i]?.[index[idColumn]]);
  return (
    <div className="log" data-testid={testId}>
      <FilterBar value={filter} onApply={(f) => set({ filter: f, id: undefined })} error={error} placeholder={placeholder} testId={`${testId}-filter`} />
      <div className="log-status muted" data-testid={`${testId}-status`}>
        {rows.length.toLocaleString('en-US')}{hasMore ? '+' : ''} rows{elapsed !== null && <span data-mask> · {elapsed} ms</span>}
      </div>
      <div className={`log-body ${openId !== null ? 'with-detail' : ''}`}>
        <VirtualTable
          testId={`${testId}-table`}
          columns={columns}
          index={index}
          rows={rows}
          sort={sort}
          desc={desc}
          onSort={(k) => set({ sort: k, desc: k === sort ? (desc ? undefined : '1') : k === 'start_time' ? undefined : '1' })}
          selected={selected}
          onSelect={setSelected}
          onOpen={(i) => set({ id: String(idOf(i)) })}
          onEnd={() => {
            if (hasMore && !loading.current) void load(rows.length, false);
          }}
        />
        {openId !== null && <aside className="detail" data-testid={`${testId}-detail`}>{detail(openId, () => set({ id: undefined }))}</aside>}
      </div>
    </div>
  );
}
