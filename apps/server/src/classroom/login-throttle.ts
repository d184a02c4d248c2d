// Failed sign-ins counted per account, whatever address they come from (on a school network a
// whole class shares one; a guesser may have many). Past the limit the account's sign-in answers
// 429 until the window has moved on; a success clears the count. Names that are no account are
// counted too, so the answer does not say which names exist. In memory: one server, and a
// restart forgetting the counts costs a guesser only one more window.
export interface ThrottleOptions {
  /** Failed attempts allowed per account in `windowMs`. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowMs: 15 * 60_000 };

/** Accounts tracked at once; beyond that the stalest are dropped (a spray of made-up names cannot grow memory). */
const MAX_TRACKED = 10_000;

export class LoginThrottle {
  private failures = new Map<string, number[]>();

  constructor(
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly clock: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const t = this.clock();
    const list = (this.failures.get(key) ?? []).filter((x) => x > t - this.opts.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until `account` may try again, or 0. */
  blockedFor(account: string): number {
    const list = this.recent(account);
    if (list.length < this.opts.maxFailures) return 0;
    return list[list.length - this.opts.maxFailures]! + this.opts.windowMs - this.clock();
  }

  failed(account: string): void {
    const list = this.recent(account);
    list.push(this.clock());
    this.failures.delete(account);
    this.failures.set(account, list);
    if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(account: string): void {
    this.failures.delete(account);
  }
}
