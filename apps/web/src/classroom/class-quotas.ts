// A class's student quotas as its form edits them (server: classroom/class-quotas.ts). An empty
// field is the server's value. Only the fields the instructor changed are sent: a value an admin
// set above the server's stays as it is when an instructor edits another one (sending it back
// would be refused as a raise).
export const QUOTA_KEYS = ['labs', 'namespaces', 'terminals', 'captures'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export type QuotaValues = Record<QuotaKey, number>;
/** null: the server's value. */
export type ClassQuotaValues = Record<QuotaKey, number | null>;
export type QuotaInputs = Record<QuotaKey, string>;

export const QUOTA_LABELS: Record<QuotaKey, string> = {
  labs: 'Running labs',
  namespaces: 'Namespaces',
  terminals: 'Terminals',
  captures: 'Captures',
};

/** What the inputs show for the class's values: '' where the server's applies. */
export function quotaInputs(values: ClassQuotaValues): QuotaInputs {
  const out = {} as QuotaInputs;
  for (const k of QUOTA_KEYS) out[k] = values[k] === null ? '' : String(values[k]);
  return out;
}

/**
 * The request body for what changed, or the first field that is not a number at all. Ranges are
 * the server's to judge (its refusal is shown on the field it names), so a 0 or a raise is sent.
 */
export function quotaChanges(current: ClassQuotaValues, inputs: QuotaInputs): { body: Partial<ClassQuotaValues> } | { field: QuotaKey; problem: string } {
  const body: Partial<ClassQuotaValues> = {};
  for (const k of QUOTA_KEYS) {
    const t = inputs[k].trim();
    if (t !== '' && !/^[0-9]{1,9}$/.test(t)) return { field: k, problem: 'Must be a whole number, or empty for the server\'s value.' };
    const v = t === '' ? null : Number(t);
    if (v !== current[k]) body[k] = v;
  }
  return { body };
}
