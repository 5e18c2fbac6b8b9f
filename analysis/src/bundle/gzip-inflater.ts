// Synchronous, incremental gunzip for the push reader: each compressed chunk yields the bytes it completes.

import zlib from 'node:zlib';

/**
 * Node offers incremental inflation only as an asynchronous stream, and whole-buffer inflation as *Sync
 * calls. The push reader must stay synchronous and streaming, so it drives the native zlib handle behind a
 * Gunzip stream with `writeSync`, the same call Node's own `gunzipSync` makes (the handle lives across
 * calls; `_processChunk` would close it after one). The native engine restarts by itself when one gzip
 * member ends and another follows, so multi-member files need nothing here.
 * If a future Node hides these internals, we fall back to buffering the compressed input and inflating it
 * in `finish()`: still correct, just not streaming.
 */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
}
interface ZlibInternals {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
}

const EMPTY = Buffer.alloc(0);
const OUT_CHUNK = 1024 * 1024;

export type InflatedSink = (piece: Buffer) => void;

export class GzipInflater {
  private readonly stream: zlib.Gunzip;
  private readonly handle: ZlibHandle | undefined;
  private readonly state: Uint32Array | undefined;
  /** Reused output buffer: the sink must finish with each piece before returning (the reader does). */
  private readonly out = Buffer.allocUnsafe(OUT_CHUNK);
  private readonly pending: Buffer[] = [];
  private done = false;
  compressedBytes = 0;

  constructor(private readonly sink: InflatedSink) {
    this.stream = zlib.createGunzip();
    // Errors are also reported asynchronously as 'error' events by the stream machinery; we handle them
    // synchronously below, so this listener only keeps them from becoming uncaught exceptions.
    this.stream.on('error', () => undefined);
    const internals = this.stream as unknown as ZlibInternals;
    const handle = internals._handle;
    if (handle && typeof handle.writeSync === 'function' && internals._writeState instanceof Uint32Array) {
      this.handle = handle;
      this.state = internals._writeState;
    }
  }

  /** Inflates `chunk`, handing every produced piece to the sink; throws the zlib error on corrupt data. */
  push(chunk: Buffer): void {
    if (this.done) return;
    this.compressedBytes += chunk.length;
    if (!this.handle) {
      this.pending.push(chunk);
      return;
    }
    this.run(chunk, zlib.constants.Z_SYNC_FLUSH);
  }

  /**
   * Ends the stream: inflates what is left and returns an error text when the input stopped inside a gzip
   * member (everything inflated before that point has already gone to the sink and stays valid).
   */
  finish(): string | undefined {
    if (this.done) return undefined;
    try {
      if (!this.handle) {
        const all = Buffer.concat(this.pending);
        this.pending.length = 0;
        try {
          this.sink(zlib.gunzipSync(all));
        } catch {
          this.sink(zlib.gunzipSync(all, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
          return 'gzip stream ends inside a member';
        }
        return undefined;
      }
      this.run(EMPTY, zlib.constants.Z_FINISH);
      return undefined;
    } catch (err) {
      return `gzip stream ends inside a member (${(err as Error).message})`;
    } finally {
      this.close();
    }
  }

  /** Stops inflating (after a corrupt stream or when the reader gave up). */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.stream.destroy();
  }

  private run(input: Buffer, flush: number): void {
    const handle = this.handle as ZlibHandle;
    const state = this.state as Uint32Array;
    const out = this.out;
    let inOff = 0;
    let inLen = input.length;
    while (true) {
      handle.writeSync(flush, input, inOff, inLen, out, 0, OUT_CHUNK);
      // A zlib error destroys the stream synchronously (its handle's onerror runs inside writeSync).
      const failure = this.stream.errored ?? (this.stream.destroyed ? new Error('zlib stream closed') : null);
      if (failure) {
        this.done = true;
        throw failure;
      }
      const availOut = state[0];
      const availIn = state[1];
      const produced = OUT_CHUNK - availOut;
      inOff += inLen - availIn;
      inLen = availIn;
      if (produced > 0) this.sink(out.subarray(0, produced));
      // A full output buffer means zlib may have more to give for the same input.
      if (availOut !== 0) break;
    }
  }
}
