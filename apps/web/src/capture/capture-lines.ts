// The lines a capture panel holds, pure: numbered as the server numbers them, a marker wherever
// lines were missed (the server dropped them for a slow client, or they left its backlog before
// we joined), and only the newest `max` entries kept, so a flood costs bounded memory.

export type CaptureEntry = { kind: 'line'; n: number; text: string } | { kind: 'gap'; missed: number };

export class CaptureLines {
  private items: CaptureEntry[] = [];
  /** Entries ever added (lines and gaps), so a view can ask for what came after what it has. */
  private added = 0;
  /** The number the next line should carry when nothing was missed. */
  private expected = 1;
  /** Lines received. */
  received = 0;
  /** Lines missed, in total. */
  missed = 0;

  constructor(readonly max = 5000) {}

  /** Lines numbered first, first+1, …; repeats (a reconnect replaying the backlog) are skipped. */
  push(first: number, lines: readonly string[]): void {
    let i = 0;
    if (first < this.expected) i = this.expected - first;
    if (i >= lines.length) return;
    const start = first + i;
    if (start > this.expected) {
      const gap = start - this.expected;
      this.missed += gap;
      this.add({ kind: 'gap', missed: gap });
    }
    for (; i < lines.length; i++) this.add({ kind: 'line', n: first + i, text: lines[i]! });
    this.expected = first + lines.length;
    this.received += lines.length - (start - first);
    if (this.items.length > this.max) this.items = this.items.slice(this.items.length - this.max);
  }

  /** Bumped by clear(): a view that saw another epoch starts over. */
  epoch = 0;

  /** Forget what is shown (numbering continues). */
  clear(): void {
    this.items = [];
    this.epoch++;
  }

  get size(): number {
    return this.items.length;
  }

  /** Total entries ever added: a view that has rendered up to `mark` asks for `since(mark)`. */
  get mark(): number {
    return this.added;
  }

  /** Entries added after `mark` that are still kept (all kept ones when `mark` is too old). */
  since(mark: number): readonly CaptureEntry[] {
    const firstKept = this.added - this.items.length;
    return this.items.slice(Math.max(0, mark - firstKept));
  }

  /** The view rendered up to `mark` has lost entries that were trimmed since: it must start over. */
  stale(mark: number): boolean {
    return mark < this.added - this.items.length;
  }

  all(): readonly CaptureEntry[] {
    return this.items;
  }

  private add(e: CaptureEntry): void {
    this.items.push(e);
    this.added++;
  }
}
