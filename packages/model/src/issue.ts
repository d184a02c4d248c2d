// Field-level problems found before anything touches the kernel.

export interface Issue {
  /** Path of the offending field in the input, e.g. "nodes.ns1.interfaces.veth-01.addresses[0]". */
  field: string;
  /** Short machine-readable rule, e.g. "interface-name", "duplicate", "unknown-key". */
  rule: string;
  message: string;
}

export interface Warning {
  field: string;
  message: string;
}

/** Thrown when input is rejected; carries every issue found, not just the first. */
export class TopologyError extends Error {
  readonly code = 'INVALID_TOPOLOGY';
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('\n'));
    this.name = 'TopologyError';
  }
}
