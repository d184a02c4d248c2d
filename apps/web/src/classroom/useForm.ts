// A classroom form's request: busy while it runs, and the server's refusal kept on the field it names.
import { useCallback, useMemo, useState } from 'react';
import { formError, type FormError } from './form-error.ts';

export interface Form {
  busy: boolean;
  error: FormError | null;
  /** The message for `field`, when the server put it there. */
  errorFor(field: string): string | null;
  /** The message that belongs to no field of this form. */
  formMessage: string | null;
  run(fn: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

export function useForm(fields: readonly string[]): Form {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const key = fields.join(',');
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await fn();
        return true;
      } catch (e) {
        setError(formError(e, key.split(',')));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [key],
  );
  const clear = useCallback(() => setError(null), []);
  return useMemo(
    () => ({
      busy,
      error,
      errorFor: (f: string) => (error && error.field === f ? error.message : null),
      formMessage: error && error.field === null ? error.message : null,
      run,
      clear,
    }),
    [busy, error, run, clear],
  );
}
