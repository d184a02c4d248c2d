// A refused form, said next to the field the server named. The server's messages start with the
// field they are about ("password: wrong username or password", "newPassword must be at least 8
// characters long"); under a field labelled "Password" that prefix is noise, so it goes.
import { ApiError } from '../api.ts';

export interface FormError {
  /** The form field the message belongs to; null: the form as a whole. */
  field: string | null;
  message: string;
}

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** The message without its leading field name (`field: ` or `field `). */
export function withoutFieldName(message: string, field: string): string {
  for (const prefix of [`${field}: `, `${field} `]) {
    if (message.startsWith(prefix)) return capitalize(message.slice(prefix.length));
  }
  return capitalize(message);
}

/** `e` as one message, placed on one of `fields` when the server named it. */
export function formError(e: unknown, fields: readonly string[]): FormError {
  if (!(e instanceof ApiError)) return { field: null, message: e instanceof Error ? e.message : String(e) };
  if (e.code === 'NETWORK') return { field: null, message: 'Could not reach the nslab server: is it still running?' };
  const field = e.field !== undefined && fields.includes(e.field) ? e.field : null;
  // The per-address limit of @fastify/rate-limit says nothing of a field, and its words are terse.
  if (e.status === 429 && e.code !== 'LOGIN_LOCKED') return { field, message: 'Too many attempts from this computer: wait a minute and try again.' };
  return { field, message: field ? withoutFieldName(e.body.message, field) : capitalize(e.body.message) };
}
