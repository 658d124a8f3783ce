/**
 * A few equally sized working buffers handed out in turn, so a merge reuses memory instead of allocating a buffer
 * per tensor. With two buffers, a chunk stays untouched while the next one is produced, which is what a
 * {@link CheckpointWriter} that keeps one write in flight needs. @internal
 */
export class BufferRing {
  private readonly buffers: Uint8Array[] = [];
  private turn = 0;

  /**
   * @param size - bytes per buffer
   * @param count - number of buffers
   * @param allocate - how to allocate one (Node: a `SharedArrayBuffer`, so worker threads can merge in place)
   */
  constructor(
    readonly size: number,
    private readonly count: number,
    private readonly allocate: (bytes: number) => Uint8Array,
  ) {}

  /**
   * The next buffer in turn, cut to `length` bytes.
   *
   * @param length - bytes needed (at most `size`)
   * @returns a view of the buffer
   */
  next(length: number): Uint8Array {
    if (length > this.size)
      throw new RangeError(`buffer ring: ${length} bytes requested, buffers hold ${this.size}`);
    const i = this.turn;
    this.turn = (this.turn + 1) % this.count;
    let buffer = this.buffers[i];
    if (buffer === undefined) {
      buffer = this.allocate(this.size);
      this.buffers[i] = buffer;
    }
    return buffer.subarray(0, length);
  }
}
