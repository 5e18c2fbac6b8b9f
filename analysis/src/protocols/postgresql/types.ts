// Per-connection state of the PostgreSQL parser: startup facts, prepared statements, the open request batch and response cycle.
import type { FlowDirection } from '../../flows/types.js';

/** Bounds that keep the state small whatever the traffic: see newPgState. */
export const MAX_STATEMENTS = 256;
export const MAX_PORTALS = 64;
export const MAX_SQL = 512;
export const MAX_NAME = 128;

/** Client messages of one extended-query batch (Parse/Bind/Describe/Execute/Close … up to Sync). */
export interface PgBatch {
  tsUs: number;
  tcpSeq: number;
  length: number;
  parses: number;
  binds: number;
  executes: number;
  describes: number;
  closes: number;
  /** SQL of the first Execute's statement, else of the first Parse. */
  sql?: string;
  statement?: string;
  portal?: string;
}

/** Server messages of the current response cycle (first message after a request .. ReadyForQuery or error). */
export interface PgCycle {
  tsUs: number;
  tcpSeq: number;
  length: number;
  rows: number;
  commands: number;
  tag?: string;
  /** The response was already emitted (at an ErrorResponse): the rest up to ReadyForQuery is skipped. */
  emitted: boolean;
  auth?: string;
  notices: number;
  copyData: number;
}

export interface PgState {
  /** Bytes of a message body still to skip, per direction. */
  skip: [number, number];
  /** StartupMessage / SSLRequest phase of the client is over (only typed messages from now on). */
  startupDone: boolean;
  /** An SSLRequest / GSSENCRequest waits for the server's one-byte answer. */
  awaitingEncReply: 'ssl' | 'gss' | null;
  /** The server accepted SSL/GSS encryption: the rest of the connection is opaque. */
  encrypted: boolean;
  user?: string;
  database?: string;
  application?: string;
  version?: string;
  serverVersion?: string;
  backendPid?: number;
  /** Prepared statement name → SQL (truncated), insertion-ordered so the oldest is evicted first. */
  statements: Map<string, string>;
  /** Portal name → statement name. */
  portals: Map<string, string>;
  batch: PgBatch | null;
  cycle: PgCycle | null;
  /** Requests emitted minus responses emitted: tells async server messages from responses. */
  outstanding: number;
}

export function newPgState(): PgState {
  return {
    skip: [0, 0],
    startupDone: false,
    awaitingEncReply: null,
    encrypted: false,
    statements: new Map(),
    portals: new Map(),
    batch: null,
    cycle: null,
    outstanding: 0,
  };
}

export type Dir = FlowDirection;
