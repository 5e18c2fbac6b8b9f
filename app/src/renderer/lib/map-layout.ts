// Layered layout of the service map for large graphs (a force layout of 200 services and thousands of edges took
// seconds in ECharts): callers on the left, the services they call to the right, each service one column right of
// its furthest caller; tall columns wrap into several. Pure: unit-tested (map-layout.test.ts).
export interface LayoutNode {
  id: string;
  group: string;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface Position {
  x: number;
  y: number;
  layer: number;
}

export interface LayoutOptions {
  /** Nodes per column before a layer wraps into another column. */
  perColumn?: number;
  columnGap?: number;
  rowGap?: number;
  /** Layers past this are folded into the last one (long chains, cycles). */
  maxLayers?: number;
}

export function layeredLayout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], opts: LayoutOptions = {}): Map<string, Position> {
  const perColumn = opts.perColumn ?? 40;
  const columnGap = opts.columnGap ?? 260;
  const rowGap = opts.rowGap ?? 22;
  const maxLayers = opts.maxLayers ?? 6;
  const ids = new Set(nodes.map((n) => n.id));
  const preds = new Map<string, string[]>();
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    const l = preds.get(e.target);
    if (l) l.push(e.source);
    else preds.set(e.target, [e.source]);
  }
  // Longest path from the callers, by relaxation; bounded so that cycles end.
  const layer = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < maxLayers; round++) {
    let changed = false;
    for (const n of nodes) {
      const p = preds.get(n.id);
      if (!p) continue;
      let l = 0;
      for (const s of p) l = Math.max(l, (layer.get(s) ?? 0) + 1);
      l = Math.min(l, maxLayers - 1);
      if (l !== layer.get(n.id)) {
        layer.set(n.id, l);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const byLayer = new Map<number, LayoutNode[]>();
  for (const n of nodes) {
    const l = layer.get(n.id) ?? 0;
    const list = byLayer.get(l);
    if (list) list.push(n);
    else byLayer.set(l, [n]);
  }
  const out = new Map<string, Position>();
  let x = 0;
  for (const l of [...byLayer.keys()].sort((a, b) => a - b)) {
    const list = (byLayer.get(l) ?? []).sort((a, b) => a.group.localeCompare(b.group) || a.id.localeCompare(b.id, 'en', { numeric: true }));
    const columns = Math.ceil(list.length / perColumn);
    const rows = Math.ceil(list.length / columns);
    list.forEach((n, i) => {
      const c = Math.floor(i / rows);
      const r = i % rows;
      out.set(n.id, { x: x + c * (columnGap / 2), y: (r - (rows - 1) / 2) * rowGap, layer: l });
    });
    x += (columns - 1) * (columnGap / 2) + columnGap;
  }
  return out;
}
