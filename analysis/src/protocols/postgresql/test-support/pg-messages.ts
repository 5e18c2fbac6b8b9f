// Test support: builders of PostgreSQL v3 frontend/backend messages (bytes as a real client/server sends them).

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

/** A typed message: 1-byte type, 4-byte length (itself included), body. */
export function msg(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'latin1'), u32(body.length + 4), body]);
}

function untyped(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length + 4), body]);
}

export const fe = {
  startup: (params: Record<string, string>): Buffer =>
    untyped(u32(196608), ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])),
  sslRequest: (): Buffer => untyped(u32(80877103)),
  gssencRequest: (): Buffer => untyped(u32(80877104)),
  cancel: (pid: number, key: number): Buffer => untyped(u32(80877102), u32(pid), u32(key)),
  password: (pw: string): Buffer => msg('p', cstr(pw)),
  query: (sql: string): Buffer => msg('Q', cstr(sql)),
  parse: (name: string, sql: string, paramTypes: number[] = []): Buffer => msg('P', cstr(name), cstr(sql), u16(paramTypes.length), ...paramTypes.map(u32)),
  bind: (portal: string, stmt: string, params: string[] = []): Buffer =>
    msg('B', cstr(portal), cstr(stmt), u16(0), u16(params.length), ...params.flatMap((p) => [u32(Buffer.byteLength(p)), Buffer.from(p)]), u16(0)),
  describe: (kind: 'S' | 'P', name: string): Buffer => msg('D', Buffer.from(kind), cstr(name)),
  execute: (portal: string, maxRows = 0): Buffer => msg('E', cstr(portal), u32(maxRows)),
  close: (kind: 'S' | 'P', name: string): Buffer => msg('C', Buffer.from(kind), cstr(name)),
  sync: (): Buffer => msg('S'),
  flush: (): Buffer => msg('H'),
  terminate: (): Buffer => msg('X'),
  copyData: (data: string | Buffer): Buffer => msg('d', Buffer.isBuffer(data) ? data : Buffer.from(data)),
  copyDone: (): Buffer => msg('c'),
  copyFail: (why: string): Buffer => msg('f', cstr(why)),
  functionCall: (oid: number): Buffer => msg('F', u32(oid), u16(0), u16(0), u16(0)),
};

export const be = {
  authOk: (): Buffer => msg('R', u32(0)),
  authMd5: (): Buffer => msg('R', u32(5), Buffer.from([1, 2, 3, 4])),
  authSasl: (mech = 'SCRAM-SHA-256'): Buffer => msg('R', u32(10), cstr(mech), Buffer.from([0])),
  authSaslContinue: (data: string): Buffer => msg('R', u32(11), Buffer.from(data)),
  authSaslFinal: (data: string): Buffer => msg('R', u32(12), Buffer.from(data)),
  parameterStatus: (k: string, v: string): Buffer => msg('S', cstr(k), cstr(v)),
  backendKey: (pid: number, key: number): Buffer => msg('K', u32(pid), u32(key)),
  ready: (status: 'I' | 'T' | 'E' = 'I'): Buffer => msg('Z', Buffer.from(status)),
  rowDescription: (cols: string[]): Buffer =>
    msg('T', u16(cols.length), ...cols.flatMap((c) => [cstr(c), u32(0), u16(0), u32(25), u16(0xffff), u32(0xffffffff), u16(0)])),
  dataRow: (vals: string[]): Buffer => msg('D', u16(vals.length), ...vals.flatMap((v) => [u32(Buffer.byteLength(v)), Buffer.from(v)])),
  commandComplete: (tag: string): Buffer => msg('C', cstr(tag)),
  error: (code: string, message: string, severity = 'ERROR'): Buffer =>
    msg('E', Buffer.from('S'), cstr(severity), Buffer.from('V'), cstr(severity), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(message), Buffer.from([0])),
  notice: (code: string, message: string): Buffer =>
    msg('N', Buffer.from('S'), cstr('NOTICE'), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(message), Buffer.from([0])),
  notification: (pid: number, channel: string, payload: string): Buffer => msg('A', u32(pid), cstr(channel), cstr(payload)),
  parseComplete: (): Buffer => msg('1'),
  bindComplete: (): Buffer => msg('2'),
  closeComplete: (): Buffer => msg('3'),
  noData: (): Buffer => msg('n'),
  portalSuspended: (): Buffer => msg('s'),
  emptyQuery: (): Buffer => msg('I'),
  parameterDescription: (types: number[]): Buffer => msg('t', u16(types.length), ...types.map(u32)),
  copyInResponse: (): Buffer => msg('G', Buffer.from([0]), u16(1), u16(0)),
  copyOutResponse: (): Buffer => msg('H', Buffer.from([0]), u16(1), u16(0)),
  copyData: (data: string | Buffer): Buffer => msg('d', Buffer.isBuffer(data) ? data : Buffer.from(data)),
  copyDone: (): Buffer => msg('c'),
  functionResult: (v: string): Buffer => msg('V', u32(Buffer.byteLength(v)), Buffer.from(v)),
};
