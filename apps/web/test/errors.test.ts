import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api.ts';
import { explain } from '../src/errors.ts';

describe('explain', () => {
  it('keeps the kernel\'s words and the command apart from the plain sentence, with a hint', () => {
    const e = new ApiError(422, {
      code: 'OPERATION_FAILED',
      message: 'ip -n ns1 route add 10.9.0.0/24 via 10.77.0.1: Error: Nexthop has invalid gateway.',
      command: 'ip -n ns1 route add 10.9.0.0/24 via 10.77.0.1',
      kernelMessage: 'Error: Nexthop has invalid gateway.',
    });
    expect(explain(e)).toEqual({
      summary: 'The kernel refused the command, so nothing changed.',
      kernel: 'Error: Nexthop has invalid gateway.',
      command: 'ip -n ns1 route add 10.9.0.0/24 via 10.77.0.1',
      hint: expect.stringMatching(/gateway must be directly reachable/),
    });
  });

  it('lists every issue of a refused topology and keeps the field', () => {
    const e = new ApiError(400, {
      code: 'INVALID_TOPOLOGY',
      message: 'x',
      field: 'a.interface',
      issues: [
        { field: 'a.interface', rule: 'duplicate', message: 'ns1 already has veth0' },
        { field: 'b.node', rule: 'not-found', message: 'no node "ns9"' },
      ],
    });
    expect(explain(e)).toEqual({
      summary: 'Nothing was run: 2 problems to fix first.',
      details: ['a.interface: ns1 already has veth0', 'b.node: no node "ns9"'],
      field: 'a.interface',
    });
  });

  it('says when the server cannot be reached or the page is not signed in', () => {
    expect(explain(new ApiError(0, { code: 'NETWORK', message: '' })).summary).toMatch(/Could not reach/);
    expect(explain(new ApiError(401, { code: 'UNAUTHORIZED', message: '' })).summary).toMatch(/token/);
  });
});
