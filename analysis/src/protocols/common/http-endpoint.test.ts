import { describe, expect, test } from 'vitest';
import { httpEndpoint } from './http-endpoint.js';

describe('httpEndpoint (DeepFlow default: first two segments)', () => {
  test.each([
    ['/api/v1/orders/795951', '/api/v1'],
    ['/api/v1', '/api/v1'],
    ['/api/v1/', '/api/v1'],
    ['/index.html', '/index.html'],
    ['/', '/'],
    ['', '/'],
    ['/a//b/c', '/a//b'],
    ['/orders/9', '/orders/9'],
    ['example.com:443', 'example.com:443'],
  ])('%s → %s', (path, endpoint) => {
    expect(httpEndpoint(path)).toBe(endpoint);
  });
  test('other segment counts', () => {
    expect(httpEndpoint('/a/b/c/d', 3)).toBe('/a/b/c');
    expect(httpEndpoint('/a/b/c/d', 1)).toBe('/a');
  });
});
