// The filter language's parts that need no database: networks, service addresses, the flow/row split; and the
// ip_in_cidr SQL function on a real connection.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError, REQUEST_FILTER, serviceAddress } from './filter.js';
import { inCidr, ipBytes, ipv4Value, parseCidr, registerIpFunctions } from './ip-functions.js';

describe('networks', () => {
  it('parses IPv4 and IPv6 networks and tests membership at any prefix length', () => {
    const has = (ip: string, net: string): boolean => inCidr(ipBytes(ip) as Buffer, parseCidr(net));
    expect(has('10.1.5.7', '10.1.5.0/24')).toBe(true);
    expect(has('10.1.6.7', '10.1.5.0/24')).toBe(false);
    expect(has('10.1.5.7', '10.1.4.0/23')).toBe(true);
    expect(has('10.1.6.7', '10.1.4.0/23')).toBe(false);
    expect(has('192.168.1.200', '192.168.1.128/25')).toBe(true);
    expect(has('192.168.1.100', '192.168.1.128/25')).toBe(false);
    expect(has('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(has('1.2.3.4', '1.2.3.4')).toBe(true);
    expect(has('fd00:1::101', 'fd00:1::/64')).toBe(true);
    expect(has('fd00:2::101', 'fd00:1::/64')).toBe(false);
    expect(has('fd00:1::101', '10.0.0.0/8')).toBe(false);
    expect(() => parseCidr('10.0.0.0/33')).toThrow();
    expect(() => parseCidr('nonsense/8')).toThrow();
    expect(ipv4Value('10.1.5.7')).toBe(0x0a010507);
    for (const bad of ['10.1.5', '10.1.5.256', '1.2.3.4.5', 'a.b.c.d', '', '10..1.2']) expect(ipv4Value(bad), bad).toBe(-1);
  });

  it('ip_in_cidr answers in SQL, NULL for NULLs, 0 for garbage', () => {
    const db = new Database(':memory:');
    registerIpFunctions(db);
    const q = (ip: string | null, net: string | null): unknown => db.prepare('SELECT ip_in_cidr(?, ?)').pluck().get(ip, net);
    expect(q('10.1.5.7', '10.1.5.0/24')).toBe(1);
    expect(q('10.1.5.7', '10.1.4.0/23')).toBe(1);
    expect(q('10.3.5.7', '10.1.4.0/23')).toBe(0);
    expect(q('fd00:1::5', 'fd00:1::/64')).toBe(1);
    expect(q('garbage', '10.0.0.0/8')).toBe(0);
    expect(q('10.1.1.1', 'garbage')).toBe(0);
    expect(q(null, '10.0.0.0/8')).toBeNull();
    db.close();
  });

  it('octet-aligned IPv4 networks compile to prefixes, others to the function; bad networks are errors', () => {
    expect(compileFilter('client=10.1.5.0/24', REQUEST_FILTER)).toMatchObject({ where: '(ip_0 LIKE ?)', params: ['10.1.5.%'] });
    expect(compileFilter('client=10.1.4.0/23', REQUEST_FILTER)).toMatchObject({ where: '(ip_in_cidr(ip_0, ?))', params: ['10.1.4.0/23'] });
    expect(compileFilter('server!=fd00::/16', REQUEST_FILTER).where).toBe('NOT coalesce((ip_in_cidr(ip_1, ?)), 0)');
    expect(() => compileFilter('client=10.1.5.0/40', REQUEST_FILTER)).toThrow(FilterError);
  });
});

describe('services', () => {
  it('knows addresses from names', () => {
    expect(serviceAddress('10.3.1.17:8080')).toEqual({ ip: '10.3.1.17', port: 8080 });
    expect(serviceAddress('10.3.1.17')).toEqual({ ip: '10.3.1.17', port: null });
    expect(serviceAddress('[fd00:2::11]:8080')).toEqual({ ip: 'fd00:2::11', port: 8080 });
    expect(serviceAddress('fd00:2::11')).toEqual({ ip: 'fd00:2::11', port: null });
    for (const name of ['reviews', 'reviews.shop.svc', 'api.shop.internal:80', 'deadbeef']) expect(serviceAddress(name), name).toBeNull();
  });

  it('splits flow-level terms (addresses, ports) from row-level ones (status, names, text)', () => {
    const c = compileFilter('service=10.3.1.17:8080 status>=500 client=10.1.5.7', REQUEST_FILTER);
    expect(c.flowWhere).toBe('((ip_1 = ? AND server_port = ?)) AND ip_0 = ? COLLATE NOCASE');
    expect(c.flowParams).toEqual(['10.3.1.17', 8080, '10.1.5.7']);
    expect(c.rowWhere).toBe('response_code >= ?');
    expect(c.rowParams).toEqual([500]);
    const byName = compileFilter('service=reviews', REQUEST_FILTER);
    expect(byName.flowWhere).toBeNull();
    expect(byName.rowWhere).toContain('request_domain');
    expect(compileFilter('', REQUEST_FILTER)).toMatchObject({ where: '1', flowWhere: null, rowWhere: '1' });
  });
});
