// A terminal's scrollback: the last `capacity` bytes of its output, in one buffer allocated once.
// Copying each chunk into it (instead of keeping the chunks) means a flood allocates nothing here,
// and that the chunks themselves (views into socket reads) are never pinned by the scrollback.
export class ByteRing {
  private readonly buf: Buffer;
  private end = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.alloc(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(d: Buffer): void {
    const cap = this.capacity;
    if (d.length >= cap) {
      d.copy(this.buf, 0, d.length - cap);
      this.end = 0;
      this.size = cap;
      return;
    }
    const first = Math.min(d.length, cap - this.end);
    d.copy(this.buf, this.end, 0, first);
    if (first < d.length) d.copy(this.buf, 0, first);
    this.end = (this.end + d.length) % cap;
    this.size = Math.min(cap, this.size + d.length);
  }

  /** The bytes kept, oldest first (a copy). */
  contents(): Buffer {
    const start = (this.end - this.size + this.capacity) % this.capacity;
    if (start + this.size <= this.capacity) return Buffer.from(this.buf.subarray(start, start + this.size));
    return Buffer.concat([this.buf.subarray(start), this.buf.subarray(0, this.end)]);
  }
}
