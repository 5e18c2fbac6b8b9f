// DNS message fixtures (UDP payloads, no TCP prefix) with what tshark 4.0.17 decodes from them, and helpers.
import type { ParseContext } from '../../types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * Each fixture was written into a pcap as UDP 10.0.0.1:40000 ↔ 10.0.0.2:53 and decoded with
 * `tshark -T fields -e dns.flags.response -e dns.id -e dns.qry.name -e dns.qry.type -e dns.flags.rcode
 *  -e dns.count.answers -e dns.a -e dns.aaaa -e dns.cname ...`; the comment above each is that output.
 */
export const fx = {
  // query 0x1234 www.example.com type 1 (A)
  queryA: hex('12340100000100000000000003777777076578616d706c6503636f6d0000010001'),
  // response 0x1234 www.example.com A rcode 0 answers 3: cname e.example.net, a 93.184.216.34,93.184.216.35
  responseA: hex(`12348180000100030000000003777777076578616d706c6503636f6d0000010001c00c000500010000012c000f0165076578616d706c65
    036e6574000165076578616d706c65036e657400000100010000012c00045db8d8220165076578616d706c65036e657400000100010000012c00045db8d823`),
  // query 0xbeef ipv6.example.org type 28 (AAAA), one additional record: OPT for <Root>
  queryAAAA: hex('beef010000010000000000010469707636076578616d706c65036f726700001c00010000291000000000000000'),
  // response 0xbeef ipv6.example.org AAAA rcode 0 answers 1: aaaa 2001:db8::1
  responseAAAA: hex('beef818000010001000000000469707636076578616d706c65036f726700001c0001c00c001c00010000012c001020010db8000000000000000000000001'),
  // response 0x0042 nope.example.com A rcode 3 (No such name) answers 0; authority SOA for example.com
  responseNx: hex(`004281830001000000010000046e6f7065076578616d706c6503636f6d0000010001c011000600010000012c003d036e7331076578616d706c6503636f6d
    000a686f73746d6173746572076578616d706c6503636f6d000000000100001c2000000e10001275000000012c`),
  // query 0x0007 example.com type 15 (MX)
  queryMX: hex('000701000001000000000000076578616d706c6503636f6d00000f0001'),
  // response 0x0007 example.com MX rcode 0 answers 2: mx mx1.example.com, mx2.example.com (compressed)
  responseMX: hex(`000781800001000200000000076578616d706c6503636f6d00000f0001c00c000f00010000012c0013000a036d7831076578616d706c6503636f6d00
    c00c000f00010000012c00080014036d7832c00c`),
  // query 0x0008 _sip._tcp.example.com type 33 (SRV)
  querySRV: hex('000801000001000000000000045f736970045f746370076578616d706c6503636f6d0000210001'),
  // response 0x0008 _sip._tcp.example.com SRV rcode 0 answers 1: srv target sip.example.com (prio 1 weight 5 port 5060)
  responseSRV: hex(`000885800001000100000000045f736970045f746370076578616d706c6503636f6d0000210001c00c002100010000012c00170001000513c4037369
    70076578616d706c6503636f6d00`),
  // response 0x0009 example.com TXT rcode 0 answers 1: txt "v=spf1 -all","abc"
  responseTXT: hex('000981800001000100000000076578616d706c6503636f6d0000100001c00c001000010000012c00100b763d73706631202d616c6c03616263'),
  // query 0x000a example.com type 65 (HTTPS)
  queryHTTPS: hex('000a01000001000000000000076578616d706c6503636f6d0000410001'),
  // response 0x000a example.com HTTPS rcode 2 (Server failure) answers 0
  responseServfail: hex('000a81820001000000000000076578616d706c6503636f6d0000410001'),
  // response 0x000b example.com type 255 (ANY) rcode 5 (Refused) answers 0
  responseRefused: hex('000b81050001000000000000076578616d706c6503636f6d0000ff0001'),
  // query 0x000c 4.3.2.1.in-addr.arpa type 12 (PTR)
  queryPtr: hex('000c01000001000000000000013401330132013107696e2d61646472046172706100000c0001'),
  // response 0x000c 4.3.2.1.in-addr.arpa PTR rcode 0 answers 1: ptr host.example.com
  responsePtr: hex(`000c81800001000100000000013401330132013107696e2d61646472046172706100000c0001c00c000c00010000012c001204686f7374076578616d
    706c6503636f6d00`),
  // query 0x000d odd.example type 999 (unassigned)
  queryType999: hex('000d01000001000000000000036f6464076578616d706c650003e70001'),
  // response 0x0000 (mDNS style: no question) rcode 0 answers 1: a printer.local 192.168.1.9
  mdnsResponse: hex('000084000000000100000000077072696e746572056c6f63616c0000010001000000780004c0a80109'),
};

/**
 * One TCP segment 40000 → 53 carrying two length-prefixed queries; tshark: dns.length 33,45, ids 0x1234,0xbeef,
 * names www.example.com,ipv6.example.org, types 1,28.
 */
export const tcpTwoQueries = hex(`002112340100000100000000000003777777076578616d706c6503636f6d0000010001002dbeef01000001000000000001046970763607
  6578616d706c65036f726700001c00010000291000000000000000`);

/** The 2-byte length prefix DNS over TCP puts before every message. */
export function withPrefix(msg: Buffer): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(msg.length & 0xffff);
  return Buffer.concat([p, msg]);
}

export function ctx(transport: 'udp' | 'tcp', tsUs = 1_000, serverPort = 53): ParseContext {
  return { tsUs, tcpSeq: transport === 'tcp' ? 5000 : 0, transport, serverPort };
}
