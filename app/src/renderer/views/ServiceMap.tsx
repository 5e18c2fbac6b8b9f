// Service map: who calls whom (application layer: requests/s, error %, p99) or who talks to whom (network layer:
// bytes, RTT, retransmissions). Nodes are grouped by network until tags name them; click an edge or a node to see
// its requests (or flows).
import { useMemo, useRef } from 'react';
import type { ECharts, EChartsCoreOption } from 'echarts/core';
import type { ViewProps } from '../App';
import { Chart } from '../components/Chart';
import { fmtBytes, fmtDuration, fmtPct } from '../format';
import { useCall } from '../hooks';
import { rangeParams } from './Overview';
import { layeredLayout } from '../lib/map-layout';
import type { MapEdge, MapNode } from '../../common/api';


/** Maps larger than this are drawn in layers (see lib/map-layout.ts) rather than by the force layout. */
const FORCE_MAX_NODES = 60;
/** Rows of the edge table under the map. */
const EDGE_ROWS = 100;

export function ServiceMap({ route, navigate, theme, refresh, range }: ViewProps) {
  const layer = route.params.layer === 'network' ? 'network' : 'app';
  const graph = useCall('map.graph', { ...range, layer }, refresh);
  const data = graph.data;

  // A node's name when the capture had tags (its label differs from its address), else its address.
  const labelOf = useMemo(() => {
    const m = new Map((data?.nodes ?? []).map((n) => [n.id, n.label]));
    return (id: string): string => {
      const l = m.get(id);
      return l !== undefined && l !== id && !l.endsWith(' clients)') ? `${l} (${id})` : id;
    };
  }, [data]);
  const option = useMemo<EChartsCoreOption>(() => {
    const nodes = data?.nodes ?? [];
    const edges = data?.edges ?? [];
    const groups = [...new Set(nodes.map((n) => n.group))];
    const maxServed = Math.max(1, ...nodes.map((n) => n.served));
    // Past FORCE_MAX_NODES the force layout is too slow and unreadable: callers left, callees right, in columns.
    const layered = nodes.length > FORCE_MAX_NODES ? layeredLayout(nodes, edges) : null;
    return {
      tooltip: {
        formatter: (p: { dataType: string; data: { raw: MapEdge | MapNode } }) => {
          if (p.dataType === 'edge') {
            const e = p.data.raw as MapEdge;
            return layer === 'app'
              ? `${labelOf(e.source)} → ${labelOf(e.target)} ${e.protocol}<br/>${e.rps} req/s, ${e.requests} requests<br/>errors ${e.errors} (${fmtPct(e.errorPct)})<br/>p99 ${fmtDuration(e.rrtP99)}`
              : `${labelOf(e.source)} → ${labelOf(e.target)} ${e.protocol}<br/>${fmtBytes(e.bytes)}, ${e.flows} flows<br/>RTT ${fmtDuration(e.rttAvg)}, retransmissions ${e.retransmissions}`;
          }
          const n = p.data.raw as MapNode;
          return `${n.label}<br/>${layer === 'app' ? `${n.served} requests served, ${n.errors} errors` : `${fmtBytes(n.served)} received`}`;
        },
      },
      legend: [{ data: groups, top: 0 }],
      series: [{
        // Layered: edges run left to right, so no arrowheads (thousands of them cost a third of the drawing).
        type: 'graph', layout: layered ? 'none' : 'force', roam: true, draggable: !layered, edgeSymbol: layered ? ['none', 'none'] : ['none', 'arrow'], edgeSymbolSize: 8,
        force: { repulsion: 220, edgeLength: [80, 200], gravity: 0.08 },
        categories: groups.map((g) => ({ name: g })),
        label: { show: true, position: 'right', fontSize: layered ? 9 : 11 },
        lineStyle: layered ? { opacity: 0.35 } : undefined,
        emphasis: { focus: 'adjacency' },
        edgeLabel: { show: edges.length <= 40, fontSize: 10, formatter: (p: { data: { raw: MapEdge } }) => edgeLabel(p.data.raw, layer) },
        data: nodes.map((n) => ({
          id: n.id, name: n.label, category: groups.indexOf(n.group), raw: n,
          symbolSize: layered ? 6 + 14 * Math.sqrt(n.served / maxServed) : 12 + 28 * Math.sqrt(n.served / maxServed),
          ...(layered ? { x: layered.get(n.id)?.x ?? 0, y: layered.get(n.id)?.y ?? 0 } : {}),
          itemStyle: n.errors > 0 ? { borderColor: '#e5484d', borderWidth: 3 } : undefined,
        })),
        links: edges.map((e) => ({
          source: e.source, target: e.target, raw: e,
          lineStyle: {
            width: layered ? 0.5 + Math.min(3, Math.log10(1 + (layer === 'app' ? e.requests : e.bytes / 1000)) / 2) : 1 + Math.min(6, Math.log10(1 + (layer === 'app' ? e.requests : e.bytes / 1000))),
            color: layer === 'app' && e.errors > 0 ? '#e5484d' : undefined, curveness: layered ? 0 : 0.15,
          },
        })),
      }],
    };
  }, [data, layer, labelOf]);

  // Edges and nodes as filters of the request (or flow) log: a service by its address and port, a client by its
  // address, a client group by its network.
  const clientFilter = (id: string): string => {
    const n = data?.nodes.find((x) => x.id === id);
    return `client=${n && n.kind !== 'client' ? n.ip : id}`;
  };
  const edgeTarget = (e: MapEdge) => (layer === 'app'
    ? { view: 'requests' as const, params: { ...rangeParams(range), filter: `${clientFilter(e.source)} service=${e.target}${e.errors > 0 ? ' status=error' : ''}` } }
    : { view: 'flows' as const, params: { ...rangeParams(range), filter: `${clientFilter(e.source)} service=${e.target}` } });
  const nodeTarget = (n: MapNode) => ({
    view: layer === 'app' ? ('requests' as const) : ('flows' as const),
    params: { ...rangeParams(range), filter: n.kind === 'service' ? `service=${n.id}` : `client=${n.ip}` },
  });

  // The chart binds its click handler once: it reads the latest targets through this ref.
  const targets = useRef({ edgeTarget, nodeTarget, nodes: data?.nodes.length ?? 0 });
  targets.current = { edgeTarget, nodeTarget, nodes: data?.nodes.length ?? 0 };
  const onReady = (c: ECharts) => {
    // Marks the chart once a drawing with the map's nodes has finished (what the e2e and the app bench wait for).
    c.on('finished', () => {
      if (targets.current.nodes > 0) c.getDom().dataset.renderedNodes = String(targets.current.nodes);
    });
    c.on('click', (p: unknown) => {
      const ev = p as { dataType?: string; data?: { raw: MapEdge | MapNode } };
      if (ev.dataType === 'edge' && ev.data) navigate(targets.current.edgeTarget(ev.data.raw as MapEdge));
      else if (ev.dataType === 'node' && ev.data) navigate(targets.current.nodeTarget(ev.data.raw as MapNode));
    });
  };

  const sortedEdges = useMemo(() => (data?.edges ?? []).slice().sort((a, b) => b.errors - a.errors || b.requests - a.requests || b.bytes - a.bytes), [data]);
  return (
    <div className="map">
      <div className="toolbar">
        <span>Layer:</span>
        <button type="button" className={layer === 'app' ? 'on' : ''} onClick={() => navigate({ params: { ...route.params, layer: 'app' } })} data-testid="layer-app">Application</button>
        <button type="button" className={layer === 'network' ? 'on' : ''} onClick={() => navigate({ params: { ...route.params, layer: 'network' } })} data-testid="layer-network">Network</button>
        <span className="muted">{data ? `${data.nodes.length} nodes, ${data.edges.length} edges` : ''}</span>
      </div>
      {graph.error && <div className="banner error">{graph.error}</div>}
      <Chart option={option} theme={theme} height="calc(100vh - 300px)" onReady={onReady} testId="service-map" />
      <table className="grid edges" data-testid="map-edges">
        <thead><tr><th>client</th><th>server</th><th>protocol</th>{layer === 'app' ? <><th className="num">req/s</th><th className="num">errors</th><th className="num">error %</th><th className="num">p99</th></> : <><th className="num">bytes</th><th className="num">flows</th><th className="num">RTT</th><th className="num">retrans</th></>}</tr></thead>
        <tbody>
          {sortedEdges.slice(0, EDGE_ROWS).map((e) => (
            <tr key={e.id} className="clickable" data-testid="map-edge" data-errors={e.errors}
              onClick={() => navigate(edgeTarget(e))}>
              <td>{labelOf(e.source)}</td><td>{labelOf(e.target)}</td><td>{e.protocol}</td>
              {layer === 'app'
                ? <><td className="num">{e.rps}</td><td className={`num ${e.errors ? 'bad' : ''}`}>{e.errors}</td><td className="num">{fmtPct(e.errorPct)}</td><td className="num">{fmtDuration(e.rrtP99)}</td></>
                : <><td className="num">{fmtBytes(e.bytes)}</td><td className="num">{e.flows}</td><td className="num">{fmtDuration(e.rttAvg)}</td><td className="num">{e.retransmissions}</td></>}
            </tr>
          ))}
        </tbody>
      </table>
      {sortedEdges.length > EDGE_ROWS && <p className="muted">The {EDGE_ROWS} edges with most errors and requests of {sortedEdges.length}; the request log has them all.</p>}
    </div>
  );
}

function edgeLabel(e: MapEdge, layer: 'app' | 'network'): string {
  return layer === 'app' ? `${e.rps}/s ${e.errorPct ? fmtPct(e.errorPct) : ''} p99 ${fmtDuration(e.rrtP99)}` : `${fmtBytes(e.bytes)} ${fmtDuration(e.rttAvg)}`;
}
