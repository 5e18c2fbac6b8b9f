// Test support: TLS sessions as TCP segments in a pcap for tshark (the shared builder, on port 443).
import { conversationPcap as tcpConversation } from '../../common/test-support/conversation-pcap.js';
import type { Step } from './fixtures.js';

/** One TCP connection client:40001 → server:443 carrying `steps` in order (handshake and close included). */
export function conversationPcap(steps: Step[], serverPort = 443): Buffer {
  return tcpConversation(steps, 40001, serverPort);
}
