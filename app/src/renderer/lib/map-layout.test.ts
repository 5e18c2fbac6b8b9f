import { describe, expect, it } from 'vitest';
import { layeredLayout } from './map-layout.js';

describe('layered map layout', () => {
  it('puts callers left of what they call, each node once', () => {
    const nodes = ['c1', 'c2', 'web', 'api', 'db'].map((id) => ({ id, group: id.startsWith('c') ? 'clients' : 'svc' }));
    const edges = [{ source: 'c1', target: 'web' }, { source: 'c2', target: 'web' }, { source: 'web', target: 'api' }, { source: 'api', target: 'db' }, { source: 'c1', target: 'db' }];
    const p = layeredLayout(nodes, edges);
    expect(p.size).toBe(5);
    expect(p.get('c1')?.layer).toBe(0);
    expect(p.get('web')?.layer).toBe(1);
    expect(p.get('api')?.layer).toBe(2);
    expect(p.get('db')?.layer).toBe(3);
    for (const e of edges) expect((p.get(e.source)?.x ?? 0) < (p.get(e.target)?.x ?? 0), `${e.source} → ${e.target}`).toBe(true);
  });

  it('ends on cycles and wraps tall layers into columns', () => {
    const p = layeredLayout([{ id: 'a', group: 'g' }, { id: 'b', group: 'g' }], [{ source: 'a', target: 'b' }, { source: 'b', target: 'a' }], { maxLayers: 4 });
    expect([...p.values()].every((x) => x.layer < 4)).toBe(true);
    const many = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, group: 'g' }));
    const q = layeredLayout([{ id: 'c', group: 'c' }, ...many], many.map((n) => ({ source: 'c', target: n.id })), { perColumn: 40 });
    const xs = new Set(many.map((n) => q.get(n.id)?.x));
    expect(xs.size).toBe(5);
    const ys = many.map((n) => q.get(n.id)?.y ?? 0);
    expect(Math.max(...ys) - Math.min(...ys)).toBeLessThanOrEqual(40 * 22);
  });
});
