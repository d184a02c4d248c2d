// A labelled input with the server's word on it right below, tied to it for screen readers.
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  label: ReactNode;
  /** The request field this input fills: the server's error for it is shown here. */
  name: string;
  value: string;
  onChange(value: string): void;
  error: string | null;
  hint?: ReactNode;
}

export function Field({ label, name, value, onChange, error, hint, ...input }: FieldProps) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field cr-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && !error && (
        <div className="cr-hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-hint cr-field-error" id={`${id}-error`} data-field={name} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** A refusal of the form as a whole (no field of it named). */
export function FormMessage({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div className="error-note" role="alert">
      <span>{message}</span>
    </div>
  );
}
