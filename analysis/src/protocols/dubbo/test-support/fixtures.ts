// Test fixtures: Dubbo 2 messages built from the protocol specification (tshark 4.0 has no Dubbo dissector).
import { dubboFrame, hint, hstr, requestBody } from './hessian.js';

/**
 * Two-way hessian2 request, id 7: flag 0xc2 (request|two-way|hessian2), body = '2.0.2', 'demo.UserService',
 * '1.0.0', 'login', 'Ljava/lang/String;', arg 'alice' (0x05 'alice'), attachments H{traceparent, x-request-id}Z.
 * tshark 4.0.17 decodes only eth/ip/tcp/data: `data.len` = the frame length, no dubbo fields.
 */
export const REQ = dubboFrame(
  { request: true, twoWay: true, id: 7 },
  requestBody('demo.UserService', 'login', [hstr('alice')], [
    ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['x-request-id', 'req-42'],
  ]),
);

/** Response id 7: flag 0x02 (response, hessian2), status 20 OK, body 0x94 (RESPONSE_VALUE_WITH_ATTACHMENTS) 'ok' H{}Z. */
export const RES_OK = dubboFrame({ request: false, status: 20, id: 7 }, Buffer.concat([hint(4), hstr('ok'), Buffer.from('HZ')]));

/** Response id 8: status 70 SERVICE_ERROR, body = hessian2 error string (Dubbo writes the message as a string). */
export const RES_ERR = dubboFrame({ request: false, status: 70, id: 8 }, hstr('java.lang.IllegalStateException: boom'));

/** Request id 8 (two-way) for RES_ERR, sw8 attachment. */
export const REQ_SW8 = dubboFrame(
  { request: true, twoWay: true, id: 8 },
  requestBody('demo.ItemService', 'findItem', [hint(1)], [['sw8', '1-YzgxNjRjYWU5MGU1NGZlNjg0OTNjMTA2ZWE5NWYxZWUuNjYuMTY2Njc5ODU0ODg1MTAwNjc=-YzgxNjRjYWU5MGU1NGZlNjg0OTNjMTA2ZWE5NWYxZWUuNjYuMTY2Njc5ODU0ODg1MTAwNjY=-3-c2hvcC13ZWI=-OTg1YTAxMmIxNTVjNDJhNTlmMTg1NGNhNjAzY2JiYWVAMTAuNzEuMC4xMzU=-L3Nob3AvZnVsbC10ZXN0-MTAuNzEuMC4xMzY6MjA4ODA=']], 'I'),
);

/** One-way request id 9: flag 0x82 (request, not two-way): DeepFlow logs it alone with status ok. */
export const REQ_ONEWAY = dubboFrame({ request: true, id: 9 }, requestBody('demo.LogService', 'log', [hstr('x')], []));

/** Heartbeat request id 10: flag 0xe2 (request|two-way|event|hessian2), body 'N' (null event data). */
export const HEARTBEAT_REQ = dubboFrame({ request: true, twoWay: true, event: true, id: 10 }, Buffer.from('N'));
/** Heartbeat response id 10: flag 0x22 (event|hessian2), status 20, body 'N'. */
export const HEARTBEAT_RES = dubboFrame({ request: false, event: true, status: 20, id: 10 }, Buffer.from('N'));

/** Kryo request id 11: flag 0xc8 (serialization 8): body is not hessian2, only header fields are reported. */
export const REQ_KRYO = dubboFrame({ request: true, twoWay: true, serialization: 8, id: 11 }, Buffer.from([0x06, 0x32, 0x2e, 0x38, 0x2e, 0xb4]));

/** Request with a 70,000-byte string argument (chunked 'R' + 'S'): longer than the 64 KiB examined prefix. */
export const REQ_BIG = dubboFrame(
  { request: true, twoWay: true, id: 12 },
  Buffer.concat([hstr('2.0.2'), hstr('demo.BlobService'), hstr('1.0.0'), hstr('put'), hstr('[B'), Buffer.from([0x52, 0xff, 0xff]), Buffer.alloc(0xffff, 0x61), hstr('b'.repeat(4465)), Buffer.from('HZ')]),
);

/** Sessions (dir, bytes) used by the fuzz test as seeds. */
export const ALL: { dir: 0 | 1; bytes: Buffer }[][] = [
  [{ dir: 0, bytes: REQ }, { dir: 1, bytes: RES_OK }],
  [{ dir: 0, bytes: Buffer.concat([REQ_SW8, REQ_ONEWAY]) }, { dir: 1, bytes: RES_ERR }],
  [{ dir: 0, bytes: HEARTBEAT_REQ }, { dir: 1, bytes: HEARTBEAT_RES }],
  [{ dir: 0, bytes: REQ_KRYO }],
];
