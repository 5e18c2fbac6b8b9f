import { describe, expect, test } from 'vitest';
import { FlowIndex } from './flow-index.js';
import type { IndexedFlow } from './flow-index.js';

class F implements IndexedFlow<F> {
  nextInSlot: F | null = null;
  constructor(
    readonly name: string,
    readonly observationPointId: number,
    readonly ctx: string,
    readonly keyIpA = '10.0.0.1',
    readonly keyPortA = 40000,
    readonly keyIpB = '10.0.0.2',
    readonly keyPortB = 80,
    readonly protocol = 6,
  ) {}
}

const look = (ix: FlowIndex<F>, f: F): string | undefined =>
  ix.get(f.observationPointId, f.ctx, f.protocol, f.keyIpA, f.keyPortA, f.keyIpB, f.keyPortB)?.name;

describe('FlowIndex', () => {
  // Same addresses, ports and protocol: one slot, a chain told apart by observation point and ctx.
  const chain = () => [new F('a', 1, ''), new F('b', 1, 'v100'), new F('c', 2, ''), new F('d', 1, 'vxlan:7')];

  test.each([['head', 3], ['middle', 1], ['tail', 0]] as const)('delete the %s of a chain', (_where, victim) => {
    const ix = new FlowIndex<F>();
    const flows = chain();
    flows.forEach((f) => ix.add(f)); // the last added is the head of the chain
    expect(flows.map((f) => look(ix, f))).toEqual(['a', 'b', 'c', 'd']);
    expect(ix.delete(flows[victim])).toBe(true);
    expect(ix.delete(flows[victim])).toBe(false);
    expect(look(ix, flows[victim])).toBeUndefined();
    expect(flows.filter((_, i) => i !== victim).map((f) => look(ix, f))).toEqual(['a', 'b', 'c', 'd'].filter((_, i) => i !== victim));
    expect(ix.size).toBe(3);
  });

  test('other ports, protocol or addresses do not match; emptied maps are dropped', () => {
    const ix = new FlowIndex<F>();
    const a = new F('a', 1, '');
    ix.add(a);
    expect(ix.get(1, '', 17, '10.0.0.1', 40000, '10.0.0.2', 80)).toBeUndefined();
    expect(ix.get(1, '', 6, '10.0.0.1', 40001, '10.0.0.2', 80)).toBeUndefined();
    expect(ix.get(1, '', 6, '10.0.0.1', 40000, '10.0.0.3', 80)).toBeUndefined();
    ix.delete(a);
    expect(ix.size).toBe(0);
    expect(ix.addressCount).toBe(0);
    expect(ix.all()).toEqual([]);
  });
});
