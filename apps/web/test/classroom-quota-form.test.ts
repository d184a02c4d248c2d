// The class quota form's pure part: what the inputs show, and which keys a save sends.
import { describe, expect, it } from 'vitest';
import { quotaChanges, quotaInputs } from '../src/classroom/class-quotas.ts';

const none = { labs: null, namespaces: null, terminals: null, captures: null };

describe('class quota form', () => {
  it("shows the class's values, empty where the server's applies", () => {
    expect(quotaInputs({ labs: 1, namespaces: null, terminals: 5, captures: null })).toEqual({ labs: '1', namespaces: '', terminals: '5', captures: '' });
  });

  it('sends only what changed: an admin\'s raise of another key is not sent back', () => {
    const current = { ...none, labs: 9 };
    expect(quotaChanges(current, { labs: '9', namespaces: '', terminals: ' 3 ', captures: '' })).toEqual({ body: { terminals: 3 } });
    expect(quotaChanges(current, { labs: '', namespaces: '', terminals: '', captures: '' })).toEqual({ body: { labs: null } });
    expect(quotaChanges(none, { labs: '', namespaces: '', terminals: '', captures: '' })).toEqual({ body: {} });
  });

  it("leaves ranges to the server (0 and raises are sent) but refuses what is no number, naming the field", () => {
    expect(quotaChanges(none, { labs: '0', namespaces: '100000000', terminals: '', captures: '' })).toEqual({ body: { labs: 0, namespaces: 100000000 } });
    expect(quotaChanges(none, { labs: '2', namespaces: '', terminals: '-1', captures: 'x' })).toEqual({ field: 'terminals', problem: "Must be a whole number, or empty for the server's value." });
    expect(quotaChanges(none, { labs: '', namespaces: '', terminals: '', captures: '1e3' })).toMatchObject({ field: 'captures' });
  });
});
