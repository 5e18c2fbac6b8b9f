// Test support: MQTT conversations as TCP segments in a pcap for tshark (the shared builder, on port 1883).
import { hex } from '../../../decode/test-support/frames.js';
import { conversationPcap as tcpConversation } from '../../common/test-support/conversation-pcap.js';
import type { Segment } from '../../common/test-support/conversation-pcap.js';

export { hex };
export type { Segment };

/** One TCP connection client:40001 → server:1883 carrying `segments` in order (handshake included). */
export function conversationPcap(segments: Segment[], clientPort = 40001, serverPort = 1883): Buffer {
  return tcpConversation(segments, clientPort, serverPort);
}
