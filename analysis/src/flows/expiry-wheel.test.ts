import { describe, expect, test } from 'vitest';
import { ExpiryWheel } from './expiry-wheel.js';

const S = 1_000_000;
interface Item { name: string; wakeSec: number }
const item = (name: string): Item => ({ name, wakeSec: -1 });

function due(wheel: ExpiryWheel<Item>, nowUs: number): string[] {
  const seen: string[] = [];
  wheel.due(nowUs, (i) => seen.push(i.name));
  return seen;
}

describe('ExpiryWheel', () => {
  test('an item is due once capture time has passed its deadline, in deadline order across a time jump', () => {
    const wheel = new ExpiryWheel<Item>();
    const a = item('a');
    const b = item('b');
    wheel.schedule(b, 50.5 * S);
    wheel.schedule(a, 10.2 * S);
    expect(due(wheel, 10.9 * S)).toEqual([]);
    expect(due(wheel, 1000 * S)).toEqual(['a', 'b']);
    expect(wheel.size).toBe(0);
  });

  test('a later deadline keeps the earlier wake-up; an earlier one moves it; stale entries are skipped', () => {
    const wheel = new ExpiryWheel<Item>();
    const a = item('a');
    wheel.schedule(a, 30 * S);
    wheel.schedule(a, 300 * S); // later: nothing changes, the owner re-checks at 31 s
    expect(wheel.size).toBe(1);
    wheel.schedule(a, 2 * S); // earlier: a second entry
    expect(due(wheel, 3 * S)).toEqual(['a']);
    expect(due(wheel, 40 * S)).toEqual([]); // the 31 s entry is stale
    expect(wheel.size).toBe(0);
  });
});
