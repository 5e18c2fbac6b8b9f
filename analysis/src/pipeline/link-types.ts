// Names of pcap link types (LINKTYPE_*) for observation points and reports.
const NAMES: Record<number, string> = {
  0: 'null', 1: 'ethernet', 12: 'raw', 14: 'raw', 101: 'raw', 108: 'loop', 113: 'linux-sll', 127: 'ieee802.11-radiotap',
  228: 'ipv4', 229: 'ipv6', 239: 'nflog', 252: 'exported-pdu', 276: 'linux-sll2',
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `linktype-${linkType}`;
}
