// HTTP/2 stitching: requests and responses pair by stream id; notes gathered while parsing surface as errors here.
import { stitchById } from '../common/stitch.js';
import type { L7Message, StitchResult } from '../types.js';
import type { Http2State } from './parse.js';

export function stitch(requests: L7Message[], responses: L7Message[], state: Http2State, final: boolean): StitchResult {
  const res = stitchById(requests, responses, final);
  if (state.notes.length > 0) {
    res.errors.push(...state.notes);
    state.notes.length = 0;
  }
  return res;
}
