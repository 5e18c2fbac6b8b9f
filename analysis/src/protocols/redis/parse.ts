// Parses one RESP request (array or inline command) or reply per call; long values are skipped via per-direction state.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult } from '../types.js';
import { CONTAINER_COMMANDS, isSecretArg, isValueArg, MESSAGE_KINDS, SUBSCRIBE_KINDS } from './commands.js';
import { MAX_LINE, scan, TEXT_KEEP } from './scan.js';
import type { Frame, Item, Summary } from './scan.js';

/** Per-direction continuation of a message already returned: body bytes to skip, then aggregates still open. */
export interface DirState {
  skip: number;
  stack: Frame[];
}

export interface RedisState {
  dirs: [DirState, DirState];
  /** CLIENT REPLY OFF in effect: requests get no reply. */
  replyOff: boolean;
  /** CLIENT REPLY SKIP: the next request gets no reply. */
  skipNext: boolean;
  /** A (P|S)SUBSCRIBE was sent: RESP2 'message' arrays are pushes from now on. */
  subscribed: boolean;
  /** Confirmations expected per pending (un)subscribe request (-1 = unknown count); the first one is its reply. */
  confirmations: number[];
  confirmSeen: number;
  resp3: boolean;
}

/** Bound on the pending-(un)subscribe queue (the state stays small whatever the traffic). */
export const MAX_CONFIRMATIONS = 256;
/** A message still incomplete after this many scanned bytes is returned and the rest skipped. */
export const EARLY_RETURN = 32 * 1024;
const RESOURCE_MAX = 256;
const ARG_SHOW = 64;

export function newState(): RedisState {
  return {
    dirs: [
      { skip: 0, stack: [] },
      { skip: 0, stack: [] },
    ],
    replyOff: false,
    skipNext: false,
    subscribed: false,
    confirmations: [],
    confirmSeen: 0,
    resp3: false,
  };
}

function base(ctx: ParseContext, state: RedisState, length: number): L7Message {
  return newMessage('other', ctx.tsUs, ctx.tcpSeq, length, state.resp3 ? 'RESP3' : 'RESP2');
}

/** Consumes up to and including the next CRLF (or everything) after garbage, to resynchronise. */
function resync(bytes: Buffer, from: number): number {
  const i = bytes.indexOf('\r\n', Math.max(0, from));
  return i < 0 ? bytes.length : i + 2;
}

export function parse(dir: FlowDirection, bytes: Buffer, state: RedisState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  const d = state.dirs[dir];
  if (d.skip > 0) {
    const n = Math.min(d.skip, bytes.length);
    d.skip -= n;
    return { status: 'ignored', consumed: n };
  }
  if (d.stack.length > 0) return continueMessage(bytes, d);
  if (dir === 0 && bytes[0] !== 0x2a /* '*' */) return parseInline(bytes, state, ctx);

  const stack: Frame[] = [{ left: 1, attr: false }];
  const sum: Summary = { items: [], more: 0, hasAttributes: false, resp3: false };
  const r = scan(bytes, 0, stack, sum);
  let consumed: number;
  let length: number;
  if (r.kind === 'bad') return { status: 'invalid', consumed: resync(bytes, r.end), error: r.error };
  if (r.kind === 'done') {
    consumed = length = r.end;
  } else if (r.kind === 'cut') {
    consumed = r.end;
    length = r.end + r.skip;
    d.skip = r.skip;
    d.stack = stack;
  } else {
    if (r.end < EARLY_RETURN) return { status: 'needs-more', consumed: 0 };
    // A huge aggregate of small elements: return it now and walk the rest on later calls without holding it.
    consumed = length = r.end;
    d.stack = stack;
  }
  if (sum.top === undefined) return { status: 'invalid', consumed: Math.max(1, consumed), error: 'RESP value without content' };
  const msg = base(ctx, state, length);
  if (dir === 0) {
    if (sum.top.type !== '*' || sum.top.len <= 0 || sum.items.length === 0 || sum.items[0].type !== '$') {
      // Redis itself ignores an empty array request ('*0' / '*-1') and replies nothing.
      if (sum.top.type === '*' && sum.top.len <= 0) return { status: 'ignored', consumed };
      return { status: 'invalid', consumed, error: 'RESP request is not an array of strings' };
    }
    const args = sum.items.map((it) => (it.text !== undefined && !it.truncated ? it.text : undefined));
    fillRequest(msg, sum.items, args, sum.top.len, state);
  } else {
    if (sum.resp3) state.resp3 = true;
    msg.version = state.resp3 ? 'RESP3' : 'RESP2';
    fillReply(msg, sum, state);
  }
  return { status: 'ok', consumed, message: msg };
}

function continueMessage(bytes: Buffer, d: DirState): ParseResult {
  const r = scan(bytes, 0, d.stack, null);
  if (r.kind === 'bad') {
    d.stack = [];
    return { status: 'invalid', consumed: resync(bytes, r.end), error: r.error };
  }
  if (r.kind === 'cut') d.skip = r.skip;
  if (r.kind === 'done') d.stack = [];
  if (r.end === 0) return { status: 'needs-more', consumed: 0 };
  return { status: 'ignored', consumed: r.end };
}

function printable(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function showArg(cmd: string, i: number, item: Item, args: readonly (string | undefined)[]): string {
  if (isSecretArg(cmd, i, args)) return '<redacted>';
  const text = args[i];
  if (text === undefined || isValueArg(cmd, i) || item.len > ARG_SHOW || !printable(text)) {
    if (item.type !== '$') return `<${item.type}>`;
    return `<${item.len} bytes>`;
  }
  return text === '' || text.includes(' ') || text.includes('"') ? JSON.stringify(text) : text;
}

function fillRequest(msg: L7Message, items: Item[], args: (string | undefined)[], argc: number, state: RedisState): void {
  const name = (args[0] ?? '').toUpperCase();
  const cmd = name !== '' && /^[A-Z0-9_.|-]{1,64}$/.test(name) ? name : 'UNKNOWN';
  msg.type = 'request';
  msg.requestType = cmd;
  msg.endpoint = cmd;
  const attributes: Record<string, string | number> = { argc };
  const sub = args[1]?.toUpperCase();
  if (CONTAINER_COMMANDS.has(cmd) && sub !== undefined && /^[A-Z0-9_-]{1,32}$/.test(sub)) attributes.subcommand = sub;
  const parts = [cmd];
  for (let i = 1; i < items.length; i++) parts.push(showArg(cmd, i, items[i], args));
  let resource = parts.join(' ');
  if (argc > items.length) resource += ` … (${argc} args)`;
  if (resource.length > RESOURCE_MAX) resource = resource.slice(0, RESOURCE_MAX - 1) + '…';
  msg.requestResource = resource;

  // Connection-level effects: RESP version, CLIENT REPLY, pub/sub confirmations.
  if (cmd === 'HELLO' && args[1] === '3') state.resp3 = true;
  if (cmd === 'HELLO' && args[1] === '2') state.resp3 = false;
  if (cmd === 'RESET') {
    // RESET leaves pub/sub mode, turns replies back on and returns to RESP2 (its own reply is '+RESET').
    state.subscribed = false;
    state.replyOff = false;
    state.skipNext = false;
    state.resp3 = false;
  }
  let noReply = state.replyOff || state.skipNext;
  state.skipNext = false;
  if (cmd === 'CLIENT' && sub === 'REPLY') {
    const mode = args[2]?.toUpperCase();
    if (mode === 'OFF') {
      state.replyOff = true;
      noReply = true;
    } else if (mode === 'SKIP') {
      noReply = true;
      state.skipNext = true;
    } else if (mode === 'ON') {
      state.replyOff = false;
      noReply = false;
    }
  }
  if (noReply) {
    attributes.noReply = 1;
  } else if (SUBSCRIBE_KINDS.has(cmd.toLowerCase())) {
    if (cmd.endsWith('SUBSCRIBE') && !cmd.endsWith('UNSUBSCRIBE')) state.subscribed = true;
    const channels = argc - 1;
    // UNSUBSCRIBE without channels confirms once per subscribed channel: a count we do not know.
    state.confirmations.push(channels > 0 ? channels : -1);
    if (state.confirmations.length > MAX_CONFIRMATIONS) {
      state.confirmations.shift();
      state.confirmSeen = 0;
    }
  }
  msg.version = state.resp3 ? 'RESP3' : 'RESP2';
  msg.attributes = attributes;
}

function describe(top: Item): string {
  const text = (top.text ?? '') + (top.truncated ? '…' : '');
  switch (top.type) {
    case '+':
      return text;
    case ':':
      return `(integer) ${text}`;
    case '$':
      return top.len < 0 ? '(nil)' : `bulk ${top.len} bytes`;
    case '*':
      return top.len < 0 ? '(nil)' : `array ${top.len}`;
    case '_':
      return '(nil)';
    case ',':
      return `(double) ${text}`;
    case '#':
      return `(boolean) ${text === 't' ? 'true' : 'false'}`;
    case '(':
      return `(big number) ${text}`;
    case '=':
      return `verbatim ${top.len} bytes`;
    case '%':
      return `map ${top.len}`;
    case '~':
      return `set ${top.len}`;
    case '>':
      return `push ${top.len}`;
    default:
      return top.type;
  }
}

function fillReply(msg: L7Message, sum: Summary, state: RedisState): void {
  const top = sum.top as Item;
  msg.type = 'response';
  msg.responseStatus = 'ok';
  if (sum.hasAttributes) msg.attributes = { attributes: 1 };
  if (top.type === '-' || top.type === '!') {
    msg.responseStatus = 'server_error';
    const text = top.text !== undefined ? top.text + (top.truncated ? '…' : '') : `<${top.len} bytes>`;
    msg.responseException = text.slice(0, RESOURCE_MAX);
    const code = /^([A-Z][A-Z_]{1,31})\b/.exec(text);
    if (code) msg.attributes = { ...msg.attributes, errorCode: code[1] };
    return;
  }
  msg.responseResult = describe(top).slice(0, RESOURCE_MAX);
  if (top.type !== '*' && top.type !== '>') return;
  const first = sum.items[0];
  const kind = first?.text?.toLowerCase() ?? '';
  if (first === undefined || (first.type !== '$' && first.type !== '+') || first.truncated) {
    if (top.type === '>') msg.type = 'push';
    return;
  }
  if (SUBSCRIBE_KINDS.has(kind)) {
    msg.responseResult = `${kind} ${sum.items[1]?.text ?? ''}`.trim().slice(0, TEXT_KEEP);
    // The first confirmation answers its (un)subscribe request; the others (one per further channel) are pushes.
    if (state.confirmations.length === 0) {
      if (top.type === '>' || state.subscribed) msg.type = 'push';
      return;
    }
    const expected = state.confirmations[0];
    if (state.confirmSeen > 0) msg.type = 'push';
    state.confirmSeen++;
    if (expected < 0 || state.confirmSeen >= expected) {
      state.confirmations.shift();
      state.confirmSeen = 0;
    }
    return;
  }
  if (top.type === '>' || (state.subscribed && MESSAGE_KINDS.has(kind))) {
    msg.type = 'push';
    msg.responseResult = `${kind} ${sum.items[1]?.text ?? ''}`.trim().slice(0, TEXT_KEEP);
  }
}

/** Splits an inline command like redis-server does (whitespace, "double" and 'single' quotes); null if unbalanced. */
function splitInline(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    let cur = '';
    const q = line[i];
    if (q === '"' || q === "'") {
      i++;
      while (i < line.length && line[i] !== q) {
        if (q === '"' && line[i] === '\\' && i + 1 < line.length) i++;
        cur += line[i++];
      }
      if (i >= line.length) return null;
      i++;
    } else {
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') cur += line[i++];
    }
    out.push(cur);
    if (out.length > 4096) return null;
  }
  return out;
}

function parseInline(bytes: Buffer, state: RedisState, ctx: ParseContext): ParseResult {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) {
    if (bytes.length > MAX_LINE) return { status: 'invalid', consumed: bytes.length, error: 'inline command longer than 64 KiB' };
    return { status: 'needs-more', consumed: 0 };
  }
  if (nl > MAX_LINE) return { status: 'invalid', consumed: nl + 1, error: 'inline command longer than 64 KiB' };
  const end = nl > 0 && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
  const line = bytes.toString('latin1', 0, end);
  const words = splitInline(line);
  if (words === null) return { status: 'invalid', consumed: nl + 1, error: 'unbalanced quotes in inline command' };
  // redis-server ignores empty lines (clients send them as keep-alives).
  if (words.length === 0) return { status: 'ignored', consumed: nl + 1 };
  if (!/^[A-Za-z][A-Za-z0-9_.|-]{0,63}$/.test(words[0])) return { status: 'invalid', consumed: nl + 1, error: 'not a RESP request or inline command' };
  const items: Item[] = words.slice(0, 16).map((w) => ({ type: '$', len: w.length, text: w.slice(0, TEXT_KEEP), truncated: w.length > TEXT_KEEP }));
  const args = items.map((it) => (it.truncated ? undefined : it.text));
  const msg = base(ctx, state, nl + 1);
  fillRequest(msg, items, args, words.length, state);
  (msg.attributes as Record<string, string | number>).inline = 1;
  return { status: 'ok', consumed: nl + 1, message: msg };
}
