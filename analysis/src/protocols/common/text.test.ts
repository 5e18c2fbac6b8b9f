// The fast text helpers return what Buffer#toString returns, for ASCII, Latin-1 and UTF-8 (valid or not).
import { describe, expect, test } from 'vitest';
import { latin1, utf8 } from './text.js';

describe('text from byte ranges', () => {
  const cases = [Buffer.from('GET /api HTTP/1.1'), Buffer.from('caf\u00e9 \u2603 \u{1f600}'), Buffer.from([0x41, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x42]), Buffer.alloc(0)];
  test('equal to toString on every sub-range', () => {
    for (const b of cases) {
      for (let s = 0; s <= b.length; s++) {
        for (let e = s; e <= b.length; e++) {
          expect(latin1(b, s, e)).toBe(b.toString('latin1', s, e));
          expect(utf8(b, s, e)).toBe(b.toString('utf8', s, e));
        }
      }
    }
  });
  test('on a view into a larger buffer', () => {
    const big = Buffer.from('xxxxHost: example.org\r\nyyyy');
    const view = big.subarray(4, 21);
    expect(latin1(view, 6, 17)).toBe('example.org');
    expect(utf8(view, 0, 4)).toBe('Host');
  });
});
