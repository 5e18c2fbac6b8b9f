// Data loading for views: one call per set of parameters, stale answers dropped, errors kept for display.
import { useEffect, useState } from 'react';
import { ApiCallError, call } from './api';
import type { OperationName, Params, Result } from '../common/api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Calls `op` with `params` whenever their JSON changes (or `refresh` does). */
export function useCall<K extends OperationName>(op: K, params: Params<K>, refresh = 0): Loaded<Result<K>> {
  const key = JSON.stringify(params);
  const [state, setState] = useState<Loaded<Result<K>>>({ data: null, error: null, loading: true });
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    call(op, JSON.parse(key) as Params<K>, ctl.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState({ data: null, error: err instanceof ApiCallError ? `${err.error.code}: ${err.message}` : String(err), loading: false });
      },
    );
    return () => ctl.abort();
  }, [op, key, refresh]);
  return state;
}
