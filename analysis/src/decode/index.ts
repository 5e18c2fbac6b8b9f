// Public API of the packet decoders: PacketDecoder, newDecodedPacket and the contract types.
export { PacketDecoder, newDecodedPacket } from './decoder.js';
export type { DecoderStats } from './decoder.js';
export type { FragmentStats } from './ip-fragments.js';
export { formatIpv4, formatIpv6 } from './ip-format.js';
export { IpProto, LinkType, TcpFlag } from './types.js';
export type { DecodedPacket, DecodeStatus, DecodeViolation, DecoderOptions } from './types.js';
