// One user action's lifecycle for a form or button: busy while it runs, its error kept beside it.
import { useCallback, useMemo, useState } from 'react';
import { explain, type Explained } from '../errors.ts';

export interface Action {
  busy: boolean;
  error: Explained | null;
  /** Runs `fn`; resolves true on success. Errors are kept (and shown by ErrorNote), never thrown. */
  run(fn: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(explain(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return useMemo(() => ({ busy, error, run, clear }), [busy, error, run, clear]);
}
