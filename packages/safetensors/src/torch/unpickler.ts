import { REFUSED_OPCODES } from './pickle-opcodes.js';
import { PickleDict, PickleTuple, type PickleValue, type TorchStorage } from './pickle-values.js';
import { TorchLoadError } from './torch-error.js';
import { applyReduce, isKey, persistentStorage, resolveGlobal } from './torch-globals.js';

function badPickle(message: string): never {
  throw new TorchLoadError('BAD_PICKLE', message);
}

/** A pickle VM that only builds data: the allowed globals are inert names and REDUCE only rebuilds tensors. */
class RestrictedUnpickler {
  private pos = 0;
  private readonly view: DataView;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly storages = new Map<string, TorchStorage>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private take(n: number): number {
    const at = this.pos;
    if (!(n >= 0 && at + n <= this.data.length)) {
      badPickle(`pickle truncated: needs ${n} bytes at offset ${at}, has ${this.data.length - at}`);
    }
    this.pos = at + n;
    return at;
  }
  private u8(): number {
    return this.data[this.take(1)] as number;
  }
  private u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  private u64(): number {
    const at = this.take(8);
    const hi = this.view.getUint32(at + 4, true);
    if (hi >= 0x200000) badPickle(`64-bit length at offset ${at} is larger than 2^53`);
    return hi * 0x100000000 + this.view.getUint32(at, true);
  }
  private text(n: number): string {
    const at = this.take(n);
    try {
      return this.decoder.decode(this.data.subarray(at, at + n));
    } catch (cause) {
      throw new TorchLoadError('BAD_PICKLE', `string at offset ${at} is not valid UTF-8`, { cause });
    }
  }
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) badPickle(`GLOBAL at offset ${this.pos} has no terminating newline`);
    const s = this.text(end - this.pos);
    this.pos++;
    return s;
  }

  /** ` naming 'module.name'` for INST, whose global is inline, so refusals name the hostile callable. */
  private inlineGlobal(op: number): string {
    if (op !== 0x69) return '';
    try {
      return ` naming '${this.line()}.${this.line()}'`;
    } catch {
      return '';
    }
  }

  private base(): number {
    return this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0;
  }
  private pop(): PickleValue {
    if (this.stack.length <= this.base()) badPickle(`stack underflow at offset ${this.pos - 1}`);
    return this.stack.pop() as PickleValue;
  }
  private top(): PickleValue {
    if (this.stack.length <= this.base()) badPickle(`stack underflow at offset ${this.pos - 1}`);
    return this.stack[this.stack.length - 1] as PickleValue;
  }
  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) badPickle(`no MARK before offset ${this.pos - 1}`);
    return this.stack.splice(mark);
  }
  private get(index: number): PickleValue {
    if (!this.memo.has(index)) badPickle(`memo entry ${index} read before it was written`);
    return this.memo.get(index) as PickleValue;
  }
  private setItems(dict: PickleValue, items: readonly PickleValue[]): void {
    if (!(dict instanceof PickleDict)) badPickle('SETITEM(S) on a value that is not a dict');
    if (items.length % 2 !== 0) badPickle('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (!isKey(key)) badPickle('dict key is not a str, int, float, bool or None');
      dict.entries.set(key, items[i + 1] as PickleValue);
    }
  }
  private append(list: PickleValue, items: readonly PickleValue[]): void {
    if (!Array.isArray(list)) badPickle('APPEND(S) on a value that is not a list');
    for (const item of items) list.push(item);
  }
  private long1(): number | bigint {
    const n = this.u8();
    const at = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.data[at + i] as number);
    if (n > 0 && ((this.data[at + n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  run(): PickleValue {
    const s = this.stack;
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: {
          const version = this.u8();
          if (version > 5) badPickle(`unsupported pickle protocol ${version}`);
          break;
        }
        case 0x95: // FRAME: framing is only a hint for buffered readers
          if (this.u64() > this.data.length - this.pos)
            badPickle(`FRAME at offset ${at} is longer than the data`);
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.marks.push(s.length);
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          s.push(this.top());
          break;
        case 0x7d: // EMPTY_DICT
          s.push(new PickleDict(false));
          break;
        case 0x64: {
          const dict = new PickleDict(false);
          this.setItems(dict, this.popMark());
          s.push(dict);
          break;
        }
        case 0x5d: // EMPTY_LIST
          s.push([]);
          break;
        case 0x6c: // LIST
          s.push(this.popMark());
          break;
        case 0x29: // EMPTY_TUPLE
          s.push(new PickleTuple([]));
          break;
        case 0x74: // TUPLE
          s.push(new PickleTuple(this.popMark()));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {
          const n = op - 0x84;
          const items: PickleValue[] = [];
          for (let i = 0; i < n; i++) items.unshift(this.pop());
          s.push(new PickleTuple(items));
          break;
        }
        case 0x58: // BINUNICODE
          s.push(this.text(this.u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          s.push(this.text(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          s.push(this.text(this.u64()));
          break;
        case 0x4a: // BININT
          s.push(this.view.getInt32(this.take(4), true));
          break;
        case 0x4b: // BININT1
          s.push(this.u8());
          break;
        case 0x4d: // BININT2
          s.push(this.u16());
          break;
        case 0x8a: // LONG1
          s.push(this.long1());
          break;
        case 0x47: // BINFLOAT (big-endian)
          s.push(this.view.getFloat64(this.take(8), false));
          break;
        case 0x88: // NEWTRUE
          s.push(true);
          break;
        case 0x89: // NEWFALSE
          s.push(false);
          break;
        case 0x4e: // NONE
          s.push(null);
          break;
        case 0x73: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case 0x75: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x61: {
          const item = this.pop();
          this.append(this.top(), [item]);
          break;
        }
        case 0x65: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32(), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          s.push(this.get(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          s.push(this.get(this.u32()));
          break;
        case 0x63: {
          const module = this.line();
          s.push(resolveGlobal(module, this.line()));
          break;
        }
        case 0x93: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string')
            badPickle('STACK_GLOBAL on non-strings');
          s.push(resolveGlobal(module, name));
          break;
        }
        case 0x52: {
          const args = this.pop();
          s.push(applyReduce(this.pop(), args));
          break;
        }
        case 0x62: {
          const state = this.pop();
          const target = this.top();
          if (!(target instanceof PickleDict) || !target.ordered) {
            throw new TorchLoadError(
              'FORBIDDEN_OPCODE',
              `BUILD at offset ${at} is only allowed on an OrderedDict`,
            );
          }
          target.state = state;
          break;
        }
        case 0x51: // BINPERSID
          s.push(persistentStorage(this.pop(), this.storages));
          break;
        default: {
          const name = REFUSED_OPCODES.get(op);
          const what = name
            ? `opcode ${name}${this.inlineGlobal(op)}`
            : `unknown opcode 0x${op.toString(16)}`;
          throw new TorchLoadError(
            'FORBIDDEN_OPCODE',
            `${what} at offset ${at} is not allowed in a checkpoint`,
          );
        }
      }
    }
  }
}

/**
 * Unpickles a torch `data.pkl` with a restricted, data-only VM: a fixed opcode and global allow-list, tensors
 * kept as inert {@link TorchTensorRef} descriptions; nothing is ever executed or imported.
 *
 * @param data - the pickle bytes
 * @returns the unpickled object
 * @throws {@link TorchLoadError} FORBIDDEN_GLOBAL / FORBIDDEN_OPCODE for anything outside the allow-lists,
 *   BAD_PICKLE / BAD_TENSOR / UNSUPPORTED_DTYPE for malformed input
 */
export function unpickleTorch(data: Uint8Array): PickleValue {
  return new RestrictedUnpickler(data).run();
}
