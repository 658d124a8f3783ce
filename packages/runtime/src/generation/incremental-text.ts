/** Decodes token ids to text (special tokens skipped). */
export type DecodeFn = (ids: readonly number[]) => string;

/** What {@link IncrementalText.push} found. */
export interface TextDelta {
  /** Text that is now final and was not returned before. */
  readonly text: string;
  /** True when a stop string was found: the text ends before it and the sequence should end. */
  readonly stopped: boolean;
}

const REPLACEMENT = '\uFFFD';

/**
 * Turns a growing list of generated token ids into text pieces safe to show: a piece is held back while it ends
 * in an incomplete UTF-8 character (a byte-level token that splits one) or could be the start of a stop string;
 * text from the first stop string on is never returned.
 */
export class IncrementalText {
  private readonly ids: number[] = [];
  private emitted = 0;
  private full = '';
  private stoppedAt: number | undefined;
  private readonly holdBack: number;

  /**
   * @param decode - ids → text
   * @param stop - stop strings
   */
  constructor(
    private readonly decode: DecodeFn,
    private readonly stop: readonly string[],
  ) {
    this.holdBack = Math.max(0, ...stop.map((s) => s.length - 1));
  }

  /** The text so far (up to a stop string, when one was found). */
  get text(): string {
    return this.stoppedAt === undefined ? this.full : this.full.slice(0, this.stoppedAt);
  }

  /**
   * Adds tokens and returns the text that became final.
   *
   * @param tokens - newly generated ids
   * @returns the new text and whether a stop string ended it
   */
  push(tokens: readonly number[]): TextDelta {
    if (this.stoppedAt !== undefined) return { text: '', stopped: true };
    this.ids.push(...tokens);
    this.full = this.decode(this.ids);
    // a stop string cannot start in text already returned: that text ended holdBack characters before the end
    const stopAt = this.findStop(Math.max(0, this.emitted - this.holdBack));
    if (stopAt !== undefined) {
      this.stoppedAt = stopAt;
      return { text: this.take(stopAt), stopped: true };
    }
    let end = this.full.length - this.holdBack;
    while (end > this.emitted && this.full.charAt(end - 1) === REPLACEMENT) end--;
    return { text: this.take(end), stopped: false };
  }

  /**
   * The text still held back, once the sequence ended.
   *
   * @returns the rest (up to a stop string)
   */
  flush(): string {
    return this.take(this.stoppedAt ?? this.full.length);
  }

  private take(end: number): string {
    if (end <= this.emitted) return '';
    const piece = this.full.slice(this.emitted, end);
    this.emitted = end;
    return piece;
  }

  private findStop(from: number): number | undefined {
    let first: number | undefined;
    for (const s of this.stop) {
      const at = this.full.indexOf(s, from);
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }
}
