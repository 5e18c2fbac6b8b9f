// Decoders of the Kafka request/response bodies we look into: topics and partitions of requests, error codes of responses.
import { traceIdsFromHeaders, type TraceIds } from '../common/trace-context.js';
import { Reader } from './reader.js';

/** Topics kept per request and partitions kept per topic for the summary (the rest is counted, not listed). */
const MAX_TOPICS = 16;
const MAX_PARTITIONS = 32;
/** Record headers looked at in the first record of a produced batch. */
const MAX_HEADERS = 32;

export interface TopicRef {
  /** Topic name, or its id (uuid text) in versions that replaced names with ids (Fetch v13+). */
  name: string;
  byId?: boolean;
  partitions: number[];
}

export interface RequestBody {
  topics: TopicRef[];
  /** Produce acks (0 = the broker sends no response). */
  acks?: number;
  groupId?: string;
  trace?: TraceIds;
  /** False when the body ended early (truncated prefix of a large message, or malformed). */
  complete: boolean;
}

function addTopic(out: TopicRef[], name: string | undefined, byId = false): TopicRef | undefined {
  if (out.length >= MAX_TOPICS) return undefined;
  const t: TopicRef = { name: name ?? '', partitions: [] };
  if (byId) t.byId = true;
  out.push(t);
  return t;
}

function addPartition(t: TopicRef | undefined, p: number): void {
  if (t && t.partitions.length < MAX_PARTITIONS) t.partitions.push(p);
}

/** Topic name, or the topic id (uuid) of versions that replaced names with ids. */
function topicKey(r: Reader, byId: boolean): string | undefined {
  return byId ? r.uuid() : r.str();
}

/** Trace ids from the headers of the first record of a v2 record batch (uncompressed batches only). */
function recordTrace(buf: Buffer, start: number, end: number): TraceIds | undefined {
  const r = new Reader(buf, start, end, false);
  r.skip(16); // baseOffset, batchLength, partitionLeaderEpoch
  if (r.i8() !== 2) return undefined; // magic: only v2 batches carry headers
  r.skip(4); // crc
  const attributes = r.i16();
  if ((attributes & 0x07) !== 0) return undefined; // compressed records: not decoded
  r.skip(4 + 8 + 8 + 8 + 2 + 4); // lastOffsetDelta, timestamps, producer id/epoch, baseSequence
  if (r.i32() < 1) return undefined;
  r.varint(); // record length
  r.i8(); // attributes
  r.varint(); // timestampDelta
  r.varint(); // offsetDelta
  const keyLen = r.varint();
  if (keyLen > 0) r.skip(keyLen);
  const valueLen = r.varint();
  if (valueLen > 0) r.skip(valueLen);
  const n = r.varint();
  const headers = new Map<string, string>();
  for (let i = 0; i < n && i < MAX_HEADERS && r.ok; i++) {
    const kl = r.varint();
    if (kl < 0 || kl > 256) return undefined;
    const kStart = r.pos;
    r.skip(kl);
    const vl = r.varint();
    if (!r.ok || vl > 4096) break;
    const vStart = r.pos;
    if (vl > 0) r.skip(vl);
    if (!r.ok) break;
    headers.set(buf.toString('latin1', kStart, kStart + kl).toLowerCase(), vl > 0 ? buf.toString('utf8', vStart, vStart + vl) : '');
  }
  if (headers.size === 0) return undefined;
  const ids = traceIdsFromHeaders((name) => headers.get(name));
  return ids.traceId ? ids : undefined;
}

function produceRequest(r: Reader, v: number, out: RequestBody): void {
  if (v >= 3) r.str(); // transactional_id
  out.acks = r.i16();
  r.i32(); // timeout_ms
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    const topic = addTopic(out.topics, r.str());
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      addPartition(topic, r.i32());
      const [start, len] = r.bytes();
      // The records may be cut off (large message): look at what is there, bounded by the announced length.
      if (!out.trace && len > 0) out.trace = recordTrace(r.buf, start, Math.min(r.end, start + len));
      r.tags();
    }
    r.tags();
  }
}

function fetchRequest(r: Reader, v: number, out: RequestBody): void {
  if (v < 15) r.i32(); // replica_id (a tagged field from v15)
  r.i32(); // max_wait_ms
  r.i32(); // min_bytes
  if (v >= 3) r.i32(); // max_bytes
  if (v >= 4) r.i8(); // isolation_level
  if (v >= 7) r.skip(8); // session_id, session_epoch
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    const topic = addTopic(out.topics, topicKey(r, v >= 13), v >= 13);
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      addPartition(topic, r.i32());
      if (v >= 9) r.i32(); // current_leader_epoch
      r.skip(8); // fetch_offset
      if (v >= 12) r.i32(); // last_fetched_epoch
      if (v >= 5) r.skip(8); // log_start_offset
      r.i32(); // partition_max_bytes
      r.tags();
    }
    r.tags();
  }
}

function listOffsetsRequest(r: Reader, v: number, out: RequestBody): void {
  r.i32(); // replica_id
  if (v >= 2) r.i8(); // isolation_level
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    const topic = addTopic(out.topics, r.str());
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      addPartition(topic, r.i32());
      if (v >= 4) r.i32(); // current_leader_epoch
      r.skip(8); // timestamp
      if (v === 0) r.i32(); // max_num_offsets
      r.tags();
    }
    r.tags();
  }
}

function metadataRequest(r: Reader, v: number, out: RequestBody): void {
  const nt = r.arrayLen(); // -1 (v1+) = all topics
  for (let t = 0; t < nt && r.ok; t++) {
    if (v >= 10) r.uuid(); // topic_id
    const name = r.str();
    if (name !== undefined) addTopic(out.topics, name);
    r.tags();
  }
}

function offsetCommitRequest(r: Reader, v: number, out: RequestBody): void {
  out.groupId = r.str();
  if (v >= 1) {
    r.i32(); // generation_id
    r.str(); // member_id
  }
  if (v >= 7) r.str(); // group_instance_id
  if (v >= 2 && v <= 4) r.skip(8); // retention_time_ms
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    const topic = addTopic(out.topics, r.str());
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      addPartition(topic, r.i32());
      r.skip(8); // committed_offset
      if (v >= 6) r.i32(); // committed_leader_epoch
      if (v === 1) r.skip(8); // commit_timestamp
      r.str(); // committed_metadata
      r.tags();
    }
    r.tags();
  }
}

function offsetFetchTopics(r: Reader, out: RequestBody): void {
  const nt = r.arrayLen(); // -1 (v2+) = all topics
  for (let t = 0; t < nt && r.ok; t++) {
    const topic = addTopic(out.topics, r.str());
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) addPartition(topic, r.i32());
    r.tags();
  }
}

function offsetFetchRequest(r: Reader, v: number, out: RequestBody): void {
  if (v < 8) {
    out.groupId = r.str();
    offsetFetchTopics(r, out);
    return;
  }
  // v8+: several groups; we summarise the topics of the first one.
  const ng = r.arrayLen();
  if (ng < 1) return;
  out.groupId = r.str();
  if (v >= 9) {
    r.str(); // member_id
    r.i32(); // member_epoch
  }
  offsetFetchTopics(r, out);
}

/** Decodes the body of the requests whose topics we report; `complete` says whether it ended where it should. */
export function decodeRequestBody(buf: Buffer, start: number, end: number, key: number, v: number, flexible: boolean): RequestBody {
  const out: RequestBody = { topics: [], complete: true };
  const r = new Reader(buf, start, end, flexible);
  switch (key) {
    case 0: produceRequest(r, v, out); break;
    case 1: fetchRequest(r, v, out); break;
    case 2: listOffsetsRequest(r, v, out); break;
    case 3: metadataRequest(r, v, out); break;
    case 8: offsetCommitRequest(r, v, out); break;
    case 9: offsetFetchRequest(r, v, out); break;
    case 10: case 11: case 12: case 13: case 14: if (v < 4 || key !== 10) out.groupId = r.str(); break;
    default: return out;
  }
  out.complete = r.ok;
  return out;
}

// ---- responses ----

/** First non-zero error code met while decoding (0 if none); stops decoding early once found. */
class ErrorScan {
  code = 0;
  see(code: number): boolean {
    if (this.code === 0 && code !== 0) this.code = code;
    return this.code !== 0;
  }
}

function skipInts(r: Reader, size: number): void {
  const n = r.arrayLen();
  if (n > 0) r.skip(n * size);
}

function produceResponse(r: Reader, v: number, e: ErrorScan): void {
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    r.str();
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      r.i32(); // index
      if (e.see(r.i16())) return;
      r.skip(8); // base_offset
      if (v >= 2) r.skip(8); // log_append_time_ms
      if (v >= 5) r.skip(8); // log_start_offset
      if (v >= 8) {
        const nr = r.arrayLen();
        for (let i = 0; i < nr && r.ok; i++) {
          r.i32();
          r.str();
          r.tags();
        }
        r.str(); // error_message
      }
      r.tags();
    }
    r.tags();
  }
}

function fetchResponse(r: Reader, v: number, e: ErrorScan): void {
  if (v >= 1) r.i32(); // throttle_time_ms
  if (v >= 7) {
    if (e.see(r.i16())) return;
    r.i32(); // session_id
  }
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    topicKey(r, v >= 13);
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      r.i32(); // partition_index
      if (e.see(r.i16())) return;
      r.skip(8); // high_watermark
      if (v >= 4) {
        r.skip(8); // last_stable_offset
        if (v >= 5) r.skip(8); // log_start_offset
        const na = r.arrayLen();
        for (let a = 0; a < na && r.ok; a++) {
          r.skip(16);
          r.tags();
        }
      }
      if (v >= 11) r.i32(); // preferred_read_replica
      r.bytes(); // records: skipped (fails on a truncated prefix, which ends the scan)
      r.tags();
    }
    r.tags();
  }
}

function listOffsetsResponse(r: Reader, v: number, e: ErrorScan): void {
  if (v >= 2) r.i32();
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    r.str();
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      r.i32();
      if (e.see(r.i16())) return;
      if (v === 0) skipInts(r, 8);
      else r.skip(v >= 4 ? 20 : 16); // timestamp, offset (, leader_epoch)
      r.tags();
    }
    r.tags();
  }
}

function metadataResponse(r: Reader, v: number, e: ErrorScan): void {
  if (v >= 3) r.i32();
  const nb = r.arrayLen();
  for (let b = 0; b < nb && r.ok; b++) {
    r.i32();
    r.str();
    r.i32();
    if (v >= 1) r.str(); // rack
    r.tags();
  }
  if (v >= 2) r.str(); // cluster_id
  if (v >= 1) r.i32(); // controller_id
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    if (e.see(r.i16())) return;
    r.str();
    if (v >= 10) r.skip(16);
    if (v >= 1) r.i8(); // is_internal
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      if (e.see(r.i16())) return;
      r.skip(v >= 7 ? 12 : 8); // partition_index, leader_id (, leader_epoch)
      skipInts(r, 4); // replicas
      skipInts(r, 4); // isr
      if (v >= 5) skipInts(r, 4); // offline_replicas
      r.tags();
    }
    if (v >= 8) r.i32(); // topic_authorized_operations
    r.tags();
  }
}

function offsetCommitResponse(r: Reader, v: number, e: ErrorScan): void {
  if (v >= 3) r.i32();
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    r.str();
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      r.i32();
      if (e.see(r.i16())) return;
      r.tags();
    }
    r.tags();
  }
}

function offsetFetchTopicsResponse(r: Reader, v: number, e: ErrorScan): void {
  const nt = r.arrayLen();
  for (let t = 0; t < nt && r.ok; t++) {
    r.str();
    const np = r.arrayLen();
    for (let p = 0; p < np && r.ok; p++) {
      r.i32();
      r.skip(8); // committed_offset
      if (v >= 5) r.i32(); // committed_leader_epoch
      r.str(); // metadata
      if (e.see(r.i16())) return;
      r.tags();
    }
    r.tags();
  }
}

function offsetFetchResponse(r: Reader, v: number, e: ErrorScan): void {
  if (v >= 3) r.i32();
  if (v < 8) {
    offsetFetchTopicsResponse(r, v, e);
    if (v >= 2 && r.ok && e.code === 0) e.see(r.i16());
    return;
  }
  const ng = r.arrayLen();
  for (let g = 0; g < ng && r.ok && e.code === 0; g++) {
    r.str();
    offsetFetchTopicsResponse(r, v, e);
    if (e.code === 0) e.see(r.i16());
    r.tags();
  }
}

/**
 * APIs whose response starts with a top-level error code, possibly behind throttle_time_ms (i32): the version from
 * which the throttle comes first (0 = always, Infinity = never), and whether the error is inside the first entry of
 * an array (after a name string when 'named').
 */
const TOP_LEVEL: Record<number, { throttleFrom: number; inArray?: 'plain' | 'named' }> = {
  7: { throttleFrom: Infinity }, // ControlledShutdown
  10: { throttleFrom: 1 }, // FindCoordinator (v4+: coordinators array, handled below)
  11: { throttleFrom: 2 }, // JoinGroup
  12: { throttleFrom: 1 }, // Heartbeat
  13: { throttleFrom: 1 }, // LeaveGroup
  14: { throttleFrom: 1 }, // SyncGroup
  15: { throttleFrom: 1, inArray: 'plain' }, // DescribeGroups
  16: { throttleFrom: 1 }, // ListGroups
  17: { throttleFrom: Infinity }, // SaslHandshake
  18: { throttleFrom: Infinity }, // ApiVersions (error first; throttle after the list)
  19: { throttleFrom: 2, inArray: 'named' }, // CreateTopics
  20: { throttleFrom: 1, inArray: 'named' }, // DeleteTopics
  22: { throttleFrom: 0 }, // InitProducerId
  25: { throttleFrom: 0 }, // AddOffsetsToTxn
  26: { throttleFrom: 0 }, // EndTxn
  36: { throttleFrom: Infinity }, // SaslAuthenticate
  42: { throttleFrom: 0, inArray: 'named' }, // DeleteGroups
};

function topLevelResponse(r: Reader, key: number, v: number, e: ErrorScan): boolean {
  const spec = TOP_LEVEL[key];
  if (!spec) return false;
  if (v >= spec.throttleFrom) r.i32();
  if (key === 10 && v >= 4) {
    // FindCoordinator v4+: coordinators[key, node_id, host, port, error_code, ...]
    if (r.arrayLen() < 1) return true;
    r.str();
    r.i32();
    r.str();
    r.i32();
  } else if (spec.inArray) {
    if (r.arrayLen() < 1) return true;
    if (spec.inArray === 'named') {
      r.str();
      if ((key === 19 && v >= 7) || (key === 20 && v >= 6)) r.skip(16); // topic_id
    }
  }
  const code = r.i16();
  if (r.ok) e.see(code);
  return true;
}

export interface ResponseBody {
  /** First non-zero error code, 0 if none was found. */
  code: number;
  /** Whether we know how to read this API's errors. */
  decoded: boolean;
}

export function decodeResponseBody(buf: Buffer, start: number, end: number, key: number, v: number, flexible: boolean): ResponseBody {
  const r = new Reader(buf, start, end, flexible);
  const e = new ErrorScan();
  let decoded = true;
  switch (key) {
    case 0: produceResponse(r, v, e); break;
    case 1: fetchResponse(r, v, e); break;
    case 2: listOffsetsResponse(r, v, e); break;
    case 3: metadataResponse(r, v, e); break;
    case 8: offsetCommitResponse(r, v, e); break;
    case 9: offsetFetchResponse(r, v, e); break;
    default: decoded = topLevelResponse(r, key, v, e);
  }
  return { code: e.code, decoded };
}
