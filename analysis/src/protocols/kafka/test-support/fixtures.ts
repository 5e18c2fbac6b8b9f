// Kafka byte fixtures (request/response pairs): real captures from the corpus and synthetic ones built with Enc.
import { Enc, recordBatch, request, response } from './encode.js';

export interface Pair {
  name: string;
  request: Buffer;
  response?: Buffer;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A Produce v3 request for `topic` with one partition per index, each with a one-record batch. */
function produceV3(corr: number, topic: string, partitions: number[], acks = -1, headers: [string, string][] = []): Buffer {
  const e = request(0, 3, corr).str(null).i16(acks).i32(1500).i32(1).str(topic).i32(partitions.length);
  for (const p of partitions) {
    const batch = recordBatch('hello', headers);
    e.i32(p).i32(batch.length).raw(batch);
  }
  return e.message();
}

/** A Produce v3 response: one topic, (partition, error) entries, throttle 0. */
function produceV3Response(corr: number, topic: string, parts: [number, number][]): Buffer {
  const e = response(corr).i32(1).str(topic).i32(parts.length);
  for (const [p, err] of parts) e.i32(p).i16(err).i64(-1).i64(-1);
  return e.i32(0).message();
}

/** A large Produce v3 request: one partition whose record set is `size` opaque bytes. */
export function largeProduce(corr: number, size: number): Buffer {
  return request(0, 3, corr).str(null).i16(1).i32(1500).i32(1).str('big').i32(1).i32(7).i32(size).raw(Buffer.alloc(size, 0x61)).message();
}

const TOPIC_ID = hex('5e0c6b2a9d1f4e3b8c7a000000000001');

export const PAIRS: Pair[] = [
  {
    // tshark: Produce v2 Request, correlation_id 1, client_id console-producer, topic2 partition 0 /
    //         Produce v2 Response, topic2 partition 0 error 0
    name: 'produce-v2 (deepflow 00-produce-v2.pcap)',
    request: hex(`0000007500000002000000010010636f6e736f6c652d70726f64756365720001000005dc000000010006746f706963320000000100000000
      0000003d000000000000000000000031dfa8ca66010000000158741cd909ffffffff0000001b4d65737361676520776974686f757420636f6d7072657373696f6e`),
    response: hex('0000002e00000001000000010006746f70696332000000010000000000000000000000000000ffffffffffffffff00000000'),
  },
  {
    // tshark: Produce v9 Request [Unsupported API version] correlation_id 47 (no topics: tshark 4.0 stops at v8) /
    //         Response (Undecoded); we decode topic zqy-test partition 0 and error 0 (compact encodings)
    name: 'produce-v9 (deepflow 00-produce-v9.pcap)',
    request: hex(`00000098000000090000002f0010636f6e736f6c652d70726f647563657200000001000005dc02097a71792d7465737402000000006400
      0000000000000000000057ffffffff023345f48e00000000000000000191ea86ee1d00000191ea86ee1dffffffffffffffffffffffffffff000000014a
      000000013e7171717171717171717171717171717171717171717171717171717171717100000000`),
    response: hex('000000370000002f0002097a71792d74657374020000000000000000000000000023ffffffffffffffff0000000000000010010000000000000000'),
  },
  {
    // tshark: Produce v7 Request, correlation_id 1, client_id kafka-python-producer-1, topic quickstart-events
    //         partition 0, record header sw8 "1-YmI3OWZh...-MGQ4Y2U2...-0-..." / Produce v7 Response error 0
    name: 'produce-v7 with sw8 record header (deepflow 00-produce-v7-sw8.pcap)',
    request: hex(`00000134000000070000000100176b61666b612d707974686f6e2d70726f64756365722d31ffff000100007530000000010011717569636b
      73746172742d6576656e74730000000100000000000000e80000000000000000000000dc0000000002de6839a10000000000000000018bd222af150000
      018bd222af15ffffffffffffffffffffffffffff00000001d2020000000a4d794b65791648656c6c6f204b61666b6102067377389a02312d596d49334f
      575a684d7a51745a44417a5a693030596d4d794c54686d59546b744f546335595759334f4463334e4449322d4d475134593255324d5745745a57597959
      5330305a54497a4c5749345a6a51744d6d4d314f57557a5a6a51305a4451342d302d5957646c626e51364f6e56702d646a45754d4334772d4c326876
      625756775957646c2d59584277`),
    response: hex('0000004100000001000000010011717569636b73746172742d6576656e7473000000010000000000000000000000000007ffffffffffffffff000000000000000000000000'),
  },
  {
    // tshark: Fetch v12 Request [Unsupported API version] correlation_id 15603, client_id
    //         consumer-console-consumer-8919-1 / Response (Undecoded); we decode topic zqy-test partition 0, error 0
    name: 'fetch-v12 (deepflow 01-fetch-v12-ok.pcap)',
    request: hex(`000000740001000c00003cf30020636f6e73756d65722d636f6e736f6c652d636f6e73756d65722d383931392d3100ffffffff000001f400
      00000103200000002f2671c50000342002097a71792d746573740200000000000000000000000000000024ffffffffffffffffffffffff001000000000010100`),
    response: hex('0000001100003cf3000000000000002f2671c50100'),
  },
  {
    // tshark: OffsetCommit v8 Request (Group=frauddetectionservice), correlation_id 15551977, topic orders
    //         partition 0 / OffsetCommit v8 Response, orders partition 0 error 0
    name: 'offset-commit-v8 (deepflow mixed-with-unsupported.pcap)',
    request: hex(`000000a90008000800ed4de90020636f6e73756d65722d6672617564646574656374696f6e736572766963652d3100166672617564646574
      656374696f6e736572766963650000000146636f6e73756d65722d6672617564646574656374696f6e736572766963652d312d33663666323435312d64
      3139322d346434392d626233622d6634366564343962353761390002076f726465727302000000000000000000000000ffffffff01000000`),
    response: hex('0000001b00ed4de9000000000002076f726465727302000000000000000000'),
  },
  {
    // tshark: LeaveGroup v4 Request (Group=zzzz12), correlation_id 201 / LeaveGroup v4 Response, error 0 (twice)
    name: 'leave-group-v4 (deepflow 13-leave-group-v4.pcap)',
    request: hex(`0000005e000d0004000000c90011636f6e73756d65722d7a7a7a7a31322d3100077a7a7a7a31320237636f6e73756d65722d7a7a7a7a3132
      2d312d61383632336363382d353437322d343733362d383132652d643938313764323764666361000000`),
    response: hex('00000048000000c9000000000000000237636f6e73756d65722d7a7a7a7a31322d312d61383632336363382d353437322d343733362d383132652d6439383137643237646663610000000000'),
  },
  {
    // tshark: JoinGroup v7 Request (Group=zzzz12), correlation_id 120 / JoinGroup v7 Response, error -1
    //         [Unexpected Server Error]
    name: 'join-group-v7 error (deepflow 11-join-group-v7.pcap)',
    request: hex(`0000008d000b0007000000780011636f6e73756d65722d7a7a7a7a31322d3100077a7a7a7a31320000afc8000493e0010009636f6e73756d
      6572030672616e67651b000100000001000a7a71792d746f70696331ffffffff000000000013636f6f70657261746976652d737469636b791f00010000
      0001000a7a71792d746f7069633100000004ffffffff000000000000`),
    response: hex('0000004b000000780000000000ffffffffffff00000137636f6e73756d65722d7a7a7a7a31322d312d64386530346130392d396636392d346566652d386637382d3631376462303364383039300100'),
  },
  {
    // tshark: ApiVersions v0 Request, correlation_id 129, client_id rdkafka / ApiVersions v0 Response error 0
    name: 'api-versions-v0 (nDPI kafka.pcapng)',
    request: hex('000000150012000000000081000772646b61666b6100000000'),
    response: new Enc().i32(129).i16(0).i32(1).i16(18).i16(0).i16(3).message(),
  },
  {
    // tshark: Metadata v2 Request, correlation_id 130, topic LB_MAIN_LOG_INPUT (nDPI kafka.pcapng frame 3)
    name: 'metadata-v2 (nDPI kafka.pcapng)',
    request: hex('000000280003000200000082000772646b61666b610000000100114c425f4d41494e5f4c4f475f494e505554'),
  },
  {
    // tshark: Produce v3 Request, correlation_id 7, topic orders partitions 0,1, record header traceparent /
    //         Produce v3 Response, orders partition 0 error 0, partition 1 error 6 (Not Leader For Partition)
    name: 'produce-v3 partition error (synthetic)',
    request: produceV3(7, 'orders', [0, 1], -1, [['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']]),
    response: produceV3Response(7, 'orders', [[0, 0], [1, 6]]),
  },
  {
    // tshark: Fetch v4 Request, correlation_id 8, topic logs partition 2 /
    //         Fetch v4 Response, logs partition 2 error 1 (Offset Out Of Range)
    name: 'fetch-v4 partition error (synthetic)',
    request: request(1, 4, 8).i32(-1).i32(500).i32(1).i32(1 << 20).i8(0).i32(1).str('logs').i32(1).i32(2).i64(42).i32(1 << 20).message(),
    response: response(8).i32(0).i32(1).str('logs').i32(1).i32(2).i16(1).i64(-1).i64(-1).i32(-1).i32(0).message(),
  },
  {
    // tshark: FindCoordinator v1 Request (key group-a), correlation_id 9 /
    //         FindCoordinator v1 Response, error 15 (The Coordinator Is Not Available)
    name: 'find-coordinator-v1 error (synthetic)',
    request: request(10, 1, 9).str('group-a').i8(0).message(),
    response: response(9).i32(0).i16(15).str(null).i32(-1).str('').i32(-1).message(),
  },
  {
    // tshark: Metadata v1 Request, correlation_id 11, no topic list (null: all topics) / Metadata v1 Response,
    //         no brokers, controller -1, topic t1 error 3 (Unknown Topic Or Partition)
    name: 'metadata-v1 all topics, unknown topic (synthetic)',
    request: request(3, 1, 11).i32(-1).message(),
    response: response(11).i32(0).i32(-1).i32(1).i16(3).str('t1').i8(0).i32(0).message(),
  },
  {
    // tshark: Fetch v13 Request [Unsupported API version], correlation_id 14 / Response (Undecoded) — tshark 4.0
    //         stops at v11; we decode topic id 5e0c...0001 partition 3 and its error 3 (compact encodings)
    name: 'fetch-v13 topic id, flexible (synthetic)',
    request: request(1, 13, 14).tags().i32(-1).i32(500).i32(1).i32(1 << 20).i8(0).i32(0).i32(-1)
      .carr(1).raw(TOPIC_ID).carr(1).i32(3).i32(-1).i64(10).i32(-1).i64(-1).i32(1 << 20).tags().tags()
      .carr(0).cstr('').tags().message(),
    response: response(14).tags().i32(0).i16(0).i32(0)
      .carr(1).raw(TOPIC_ID).carr(1).i32(3).i16(3).i64(-1).i64(-1).i64(-1).carr(-1).i32(-1).uvarint(1).tags().tags().tags().message(),
  },
  {
    // tshark: OffsetFetch v3 Request (Group=g1), correlation_id 15, topic orders partitions 0,1 /
    //         OffsetFetch v3 Response, orders partitions 0,1 errors 0,0 then top-level error 16 (Not Coordinator)
    name: 'offset-fetch-v3 top-level error (synthetic)',
    request: request(9, 3, 15).str('g1').i32(1).str('orders').i32(2).i32(0).i32(1).message(),
    response: response(15).i32(0).i32(1).str('orders').i32(2).i32(0).i64(5).str('').i16(0).i32(1).i64(-1).str('').i16(0).i16(16).message(),
  },
  {
    // tshark: Produce v3 Request, correlation_id 12, topic fire partition 0, acks 0 (no response follows)
    name: 'produce-v3 acks=0 (synthetic)',
    request: produceV3(12, 'fire', [0], 0),
  },
  {
    // tshark: Kafka Unknown v0 Request (api key 99), correlation_id 13
    name: 'unknown api key 99 (synthetic)',
    request: request(99, 0, 13).raw(Buffer.from([1, 2, 3])).message(),
  },
];
