import { type Dtype, isDtype } from './dtype.js';
import { SafetensorsError, type SafetensorsErrorCode, show } from './errors.js';
import { JsonScanner } from './json-scanner.js';

/** A u64 from the header: a number when it is at most 2^53 - 1, else an exact bigint. @internal */
export type U64 = number | bigint;

/** One tensor entry as written in the header, before offset and size validation. @internal */
export interface RawTensorEntry {
  name: string;
  dtype: Dtype;
  shape: U64[];
  begin: U64;
  end: U64;
}

/** The header's content in file order. @internal */
export interface RawHeader {
  metadata: Record<string, string> | undefined;
  tensors: RawTensorEntry[];
}

const U64_LIMIT = 1n << 64n;

/**
 * Strict, schema-directed parser of a safetensors header: accepts what the Rust reference's serde_json
 * accepts (JSON whitespace around the root, unknown fields inside a tensor entry, `"__metadata__": null`),
 * and, unlike `JSON.parse`, rejects duplicate names, keeps integers exact up to u64, and rejects lone
 * surrogate escapes. @internal
 */
export function parseHeaderJson(text: string): RawHeader {
  return new HeaderParser(text).parse();
}

/** Sets an own enumerable property, so that a key like `__proto__` is stored as data. @internal */
export function defineEntry(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class HeaderParser extends JsonScanner {
  parse(): RawHeader {
    this.ws();
    if (this.peek() !== 0x7b) this.fail(`the header must be a JSON object; it starts with ${this.near()}`);
    this.pos++;
    let metadata: Record<string, string> | undefined;
    let sawMetadata = false;
    const tensors: RawTensorEntry[] = [];
    const names = new Set<string>();
    this.members(() => {
      const key = this.key();
      if (key === '__metadata__') {
        if (sawMetadata) throw new SafetensorsError('DUPLICATE_NAME', 'the header has "__metadata__" twice');
        sawMetadata = true;
        metadata = this.metadata();
      } else {
        if (names.has(key)) {
          throw new SafetensorsError('DUPLICATE_NAME', `the header has two tensors named ${show(key)}`);
        }
        names.add(key);
        tensors.push(this.tensor(key));
      }
    });
    this.ws();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.near()} after the header object`);
    return { metadata, tensors };
  }

  private metadata(): Record<string, string> | undefined {
    if (this.literal('null')) return undefined;
    if (this.peek() !== 0x7b) {
      throw new SafetensorsError(
        'INVALID_METADATA',
        `"__metadata__" must be an object, found ${this.near()}`,
      );
    }
    this.pos++;
    const out: Record<string, string> = {};
    const seen = new Set<string>();
    this.members(() => {
      const key = this.key();
      if (seen.has(key)) {
        throw new SafetensorsError('DUPLICATE_NAME', `"__metadata__" has the key ${show(key)} twice`);
      }
      seen.add(key);
      if (this.peek() !== 0x22) {
        throw new SafetensorsError(
          'INVALID_METADATA',
          `"__metadata__" values must be strings; ${show(key)} is ${this.near()}`,
        );
      }
      defineEntry(out, key, this.string());
    });
    return out;
  }

  private tensor(name: string): RawTensorEntry {
    if (this.peek() !== 0x7b) {
      throw new SafetensorsError(
        'INVALID_HEADER',
        `tensor ${show(name)} must be an object, found ${this.near()}`,
      );
    }
    this.pos++;
    let dtype: Dtype | undefined;
    let shape: U64[] | undefined;
    let offsets: U64[] | undefined;
    this.members(() => {
      const field = this.key();
      const duplicate = () =>
        new SafetensorsError('INVALID_HEADER', `tensor ${show(name)} has the field "${field}" twice`);
      if (field === 'dtype') {
        if (dtype !== undefined) throw duplicate();
        const start = this.pos;
        const value = this.peek() === 0x22 ? this.string() : undefined;
        if (!isDtype(value)) {
          throw new SafetensorsError(
            'INVALID_DTYPE',
            `tensor ${show(name)} has an unknown dtype ${value === undefined ? this.near(start) : show(value)}`,
          );
        }
        dtype = value;
      } else if (field === 'shape') {
        if (shape !== undefined) throw duplicate();
        shape = this.u64Array(name, 'shape', 'INVALID_SHAPE');
      } else if (field === 'data_offsets') {
        if (offsets !== undefined) throw duplicate();
        offsets = this.u64Array(name, 'data_offsets', 'INVALID_OFFSETS');
        if (offsets.length !== 2) {
          throw new SafetensorsError(
            'INVALID_OFFSETS',
            `tensor ${show(name)}: data_offsets must be a pair [begin, end], found ${offsets.length} values`,
          );
        }
      } else {
        this.skipValue(2);
      }
    });
    const missing = dtype === undefined ? 'dtype' : shape === undefined ? 'shape' : 'data_offsets';
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      throw new SafetensorsError('INVALID_HEADER', `tensor ${show(name)} has no "${missing}" field`);
    }
    return { name, dtype, shape, begin: offsets[0] as U64, end: offsets[1] as U64 };
  }

  private u64Array(name: string, field: string, code: SafetensorsErrorCode): U64[] {
    if (this.peek() !== 0x5b) {
      throw new SafetensorsError(
        code,
        `tensor ${show(name)}: ${field} must be an array, found ${this.near()}`,
      );
    }
    this.pos++;
    const out: U64[] = [];
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      const value = this.u64();
      if (value === undefined) {
        throw new SafetensorsError(
          code,
          `tensor ${show(name)}: ${field}[${out.length}] must be an integer in [0, 2^64), found ${this.near()}`,
        );
      }
      out.push(value);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail(`expected ',' or ']' in ${field} of tensor ${show(name)}`, this.pos - 1);
    }
  }

  /** A JSON integer literal in [0, 2^64), as serde reads a `usize`; undefined (position kept) otherwise. */
  private u64(): U64 | undefined {
    const start = this.pos;
    const c = this.peek();
    if (c < 0x30 || c > 0x39) return undefined;
    const end = this.numberEnd();
    const literal = this.text.slice(start, end);
    if (!/^(0|[1-9][0-9]*)$/.test(literal)) return undefined;
    let value: U64;
    if (literal.length <= 15) value = Number(literal);
    else {
      const big = BigInt(literal);
      if (big >= U64_LIMIT) return undefined;
      value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    this.pos = end;
    return value;
  }
}
