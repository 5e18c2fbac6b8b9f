// Per-connection state of the DNS parser: only what stitching needs to recognise repeated responses.

/** Ids of recently answered queries remembered per flow (a ring: the state never grows past this). */
export const ANSWERED_IDS_CAP = 64;

export interface DnsState {
  /** Recently answered ids, oldest first, at most ANSWERED_IDS_CAP. */
  answeredIds: number[];
}

export function newDnsState(): DnsState {
  return { answeredIds: [] };
}
