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

export type LimitKind = 'nodes' | 'links' | 'values';

/**
 * Input over a size limit (see InputLimits), found before the document is built: the caller may
 * answer it differently from a mistake (the server says 413 and names its own cap).
 */
export class TopologyLimitError extends TopologyError {
  constructor(
    readonly limit: LimitKind,
    readonly max: number,
    readonly actual: number,
    field: string,
    message: string,
  ) {
    super([{ field, rule: 'limit', message }]);
    this.name = 'TopologyLimitError';
  }
}

/**
 * Issues listed per error. A hostile file can hold thousands of mistakes; listing them all costs
 * a did-you-mean each and makes an answer nobody reads.
 */
export const MAX_ISSUES = 100;
export const MORE_ISSUES_RULE = 'more-issues';

/** A message, or how to make it: past MAX_ISSUES it is never made. */
export type Message = string | (() => string);

export function messageOf(m: Message): string {
  return typeof m === 'function' ? m() : m;
}

function moreIssues(count: number): Issue {
  return { field: '', rule: MORE_ISSUES_RULE, message: `${count} more issue${count === 1 ? '' : 's'} not listed; fix these first` };
}

/** Collects issues up to MAX_ISSUES, counting the rest. */
export class IssueList {
  readonly issues: Issue[] = [];
  dropped = 0;

  add(field: string, rule: string, message: Message): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ field, rule, message: messageOf(message) });
    else this.dropped++;
  }

  /** The issues, ending with one that counts those left out. */
  list(): Issue[] {
    return capIssues(this.issues, this.dropped);
  }
}

/** At most MAX_ISSUES issues, then one saying how many more there were (earlier such notes folded in). */
export function capIssues(issues: readonly Issue[], dropped = 0): Issue[] {
  let more = dropped;
  const kept: Issue[] = [];
  for (const i of issues) {
    if (i.rule === MORE_ISSUES_RULE) more += Number(/^\d+/.exec(i.message)?.[0] ?? 0);
    else if (kept.length < MAX_ISSUES) kept.push(i);
    else more++;
  }
  if (more > 0) kept.push(moreIssues(more));
  return kept;
}
