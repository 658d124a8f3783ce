import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  dictPickle,
  f32Bytes,
  P,
  tensorPickle,
  torchArchive,
} from './archive-builder.test.helper.js';
import { PickleDict, PickleTuple, TorchTensorRef } from './pickle-values.js';
import { readTorchCheckpoint } from './read-torch-checkpoint.js';
import { TorchLoadError } from './torch-error.js';
import { unpickleTorch } from './unpickler.js';

function caught(fn: () => unknown): TorchLoadError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TorchLoadError) return e;
    throw e;
  }
  throw new Error('expected a TorchLoadError, nothing was thrown');
}

/** `module.name(arg)` as pickle writes a reduce: GLOBAL, args tuple, REDUCE. */
const call = (global: Uint8Array, arg = 'echo pwned') =>
  bytesOf(P.proto(), global, P.str(arg), P.tuple1, P.reduce, P.stop);

describe('hostile globals are refused and named', () => {
  const hostile: [string, string][] = [
    ['os', 'system'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['builtins', 'getattr'],
    ['__builtin__', 'eval'],
    ['subprocess', 'Popen'],
    ['subprocess', 'check_output'],
    ['torch', 'load'],
    ['torch.storage', '_load_from_bytes'],
    ['torch._utils', '_rebuild_from_type_v2'],
    ['torch._utils', '_rebuild_parameter_with_state'],
    ['collections', 'OrderedDict.fromkeys'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['torch', 'Size'],
  ];

  for (const [module, name] of hostile) {
    it(`GLOBAL ${module}.${name} + REDUCE`, () => {
      const e = caught(() => unpickleTorch(call(P.global(module, name))));
      expect(e.code).toBe('FORBIDDEN_GLOBAL');
      expect(e.message).toContain(`'${module}.${name}'`);
    });
  }

  it('STACK_GLOBAL (protocol 4) os.system', () => {
    const pkl = bytesOf(P.proto(4), P.stackGlobal('os', 'system'), P.str('id'), P.tuple1, P.reduce, P.stop);
    const e = caught(() => unpickleTorch(pkl));
    expect([e.code, e.message.includes("'os.system'")]).toEqual(['FORBIDDEN_GLOBAL', true]);
  });

  it('a hostile tensor value inside a real-looking state dict, read through the archive', () => {
    const evil = call(P.global('os', 'system')).subarray(2, -1); // GLOBAL … REDUCE without PROTO/STOP
    const pkl = dictPickle([
      ['ok', tensorPickle('FloatStorage', '0', 1, 0, [1], [1])],
      ['evil', evil],
    ]);
    const e = caught(() => readTorchCheckpoint(torchArchive(pkl, { '0': f32Bytes([1]) })));
    expect([e.code, e.message.includes("'os.system'")]).toEqual(['FORBIDDEN_GLOBAL', true]);
  });

  it('a hostile global as the persistent id storage type', () => {
    const pid = bytesOf(
      P.mark,
      P.str('storage'),
      P.global('builtins', 'eval'),
      P.str('0'),
      P.str('cpu'),
      P.int(1),
    );
    const e = caught(() => unpickleTorch(bytesOf(P.proto(), pid, P.tuple, P.binpersid, P.stop)));
    expect([e.code, e.message.includes("'builtins.eval'")]).toEqual(['FORBIDDEN_GLOBAL', true]);
  });
});

describe('forbidden opcodes', () => {
  const od = P.global('collections', 'OrderedDict');
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'INST os.system',
      bytesOf(P.proto(), P.mark, P.str('id'), 'ios\nsystem\n', P.stop),
      /INST naming 'os.system'/,
    ],
    ['OBJ', bytesOf(P.proto(), P.mark, od, 'o', P.stop), /OBJ/],
    ['NEWOBJ', bytesOf(P.proto(), od, P.emptyTuple, 0x81, P.stop), /NEWOBJ/],
    ['NEWOBJ_EX', bytesOf(P.proto(4), od, P.emptyTuple, P.emptyDict, 0x92, P.stop), /NEWOBJ_EX/],
    ['EXT1', bytesOf(P.proto(), 0x82, 1, P.stop), /EXT1/],
    ['EXT2', bytesOf(P.proto(), 0x83, 1, 0, P.stop), /EXT2/],
    ['EXT4', bytesOf(P.proto(), 0x84, 1, 0, 0, 0, P.stop), /EXT4/],
    ['PERSID (text)', bytesOf(P.proto(), 'P0\n', P.stop), /PERSID/],
    ['text INT', bytesOf('I1\n', P.stop), /INT/],
    ['BINBYTES', bytesOf(P.proto(3), 'C', 1, 'x', P.stop), /SHORT_BINBYTES/],
    ['unknown 0xff', bytesOf(P.proto(), 0xff, P.stop), /unknown opcode 0xff/],
    ['BUILD on a plain dict', bytesOf(P.proto(), P.emptyDict, P.emptyDict, P.build, P.stop), /BUILD/],
    ['BUILD on a list', bytesOf(P.proto(), P.emptyList, P.emptyDict, P.build, P.stop), /BUILD/],
  ];
  for (const [label, pkl, message] of cases) {
    it(label, () => {
      const e = caught(() => unpickleTorch(pkl));
      expect(e.code).toBe('FORBIDDEN_OPCODE');
      expect(e.message).toMatch(message);
    });
  }
});

describe('calls and malformed pickles', () => {
  it('refuses to call an allowed but non-callable global', () => {
    const e = caught(() => unpickleTorch(call(P.global('torch', 'FloatStorage'))));
    expect([e.code, e.message]).toEqual([
      'FORBIDDEN_GLOBAL',
      "global 'torch.FloatStorage' may not be called (REDUCE) in a checkpoint",
    ]);
  });

  const bad: [string, Uint8Array][] = [
    ['REDUCE on a string', bytesOf(P.proto(), P.str('os'), P.emptyTuple, P.reduce, P.stop)],
    ['empty input', new Uint8Array(0)],
    ['no STOP', bytesOf(P.proto(), P.emptyDict)],
    ['stack underflow', bytesOf(P.proto(), P.stop)],
    ['pop below a MARK', bytesOf(P.proto(), P.emptyDict, P.mark, P.str('k'), P.setitem, P.stop)],
    ['TUPLE without MARK', bytesOf(P.proto(), P.tuple, P.stop)],
    ['BINGET before BINPUT', bytesOf(P.proto(), P.binget(3), P.stop)],
    ['string longer than the data', bytesOf(P.proto(), 'X', 0xff, 0xff, 0, 0, 'ab', P.stop)],
    ['invalid UTF-8', bytesOf(P.proto(), 0x8c, 2, 0xc3, 0x28, P.stop)],
    ['GLOBAL without newline', bytesOf(P.proto(), 'ctorch')],
    ['protocol 6', bytesOf(0x80, 6, P.none, P.stop)],
    ['SETITEMS with odd items', bytesOf(P.proto(), P.emptyDict, P.mark, P.str('k'), P.setitems, P.stop)],
    ['SETITEM on a list', bytesOf(P.proto(), P.emptyList, P.str('k'), P.none, P.setitem, P.stop)],
    ['APPEND on a dict', bytesOf(P.proto(), P.emptyDict, P.none, P.append, P.stop)],
    ['unhashable key', bytesOf(P.proto(), P.emptyDict, P.emptyList, P.none, P.setitem, P.stop)],
    ['persistent id of another kind', bytesOf(P.proto(), P.str('module'), P.tuple1, P.binpersid, P.stop)],
    [
      '_rebuild_tensor_v2 with 2 args',
      bytesOf(
        P.proto(),
        P.global('torch._utils', '_rebuild_tensor_v2'),
        P.none,
        P.none,
        P.tuple2,
        P.reduce,
        P.stop,
      ),
    ],
    [
      'OrderedDict of a non-pair',
      bytesOf(
        P.proto(),
        P.global('collections', 'OrderedDict'),
        P.emptyList,
        P.int(1),
        P.append,
        P.tuple1,
        P.reduce,
        P.stop,
      ),
    ],
  ];
  for (const [label, pkl] of bad) {
    it(label, () => {
      expect(caught(() => unpickleTorch(pkl)).code).toBe('BAD_PICKLE');
    });
  }

  it('rejects one storage key declared with two dtypes', () => {
    const a = tensorPickle('FloatStorage', '0', 4, 0, [4], [1]);
    const b = tensorPickle('HalfStorage', '0', 8, 0, [8], [1]);
    expect(
      caught(() =>
        unpickleTorch(
          dictPickle([
            ['a', a],
            ['b', b],
          ]),
        ),
      ).message,
    ).toMatch(/storage '0' is declared as F32×4 and as F16×8/);
  });
});

describe('what it builds', () => {
  it('builds plain data: dicts, tuples, lists, ints, floats, strings, bools, None, LONG1', () => {
    const long1 = bytesOf(0x8a, 6, 1, 0, 0, 0, 0, 1); // 2^40 + 1
    const neg = bytesOf(0x8a, 1, 0xff); // -1
    const float = bytesOf('G', 0x3f, 0xd0, 0, 0, 0, 0, 0, 0); // 0.25, big-endian
    const pkl = bytesOf(
      P.proto(),
      P.emptyDict,
      P.mark,
      P.str('a'),
      long1,
      P.str('b'),
      neg,
      P.str('c'),
      float,
    );
    const rest = bytesOf(
      P.str('d'),
      P.emptyList,
      P.mark,
      P.none,
      0x88,
      P.int(-5),
      'e',
      P.str('e'),
      P.mark,
      P.tuple,
      P.setitems,
      P.stop,
    );
    const v = unpickleTorch(bytesOf(pkl, rest));
    expect(v).toBeInstanceOf(PickleDict);
    const d = v as PickleDict;
    expect([d.entries.get('a'), d.entries.get('b'), d.entries.get('c'), d.entries.get('d')]).toEqual([
      2 ** 40 + 1,
      -1,
      0.25,
      [null, true, -5],
    ]);
    expect(d.entries.get('e')).toEqual(new PickleTuple([]));
  });

  it('keeps BUILD state of an OrderedDict (a state dict _metadata) without interpreting it', () => {
    const od = bytesOf(P.global('collections', 'OrderedDict'), P.emptyTuple, P.reduce);
    const v = unpickleTorch(
      bytesOf(P.proto(), od, P.emptyDict, P.str('_metadata'), P.none, P.setitem, P.build, P.stop),
    );
    expect(v instanceof PickleDict && v.ordered && v.state instanceof PickleDict).toBe(true);
  });

  it('shares one storage object between tensors with the same key, and unwraps _rebuild_parameter', () => {
    const t = tensorPickle('FloatStorage', '0', 4, 0, [2], [1]);
    const param = bytesOf(
      P.global('torch._utils', '_rebuild_parameter'),
      P.mark,
      tensorPickle('FloatStorage', '0', 4, 2, [2], [1]),
    );
    const p = bytesOf(
      param,
      0x88,
      P.global('collections', 'OrderedDict'),
      P.emptyTuple,
      P.reduce,
      P.tuple,
      P.reduce,
    );
    const d = unpickleTorch(
      dictPickle([
        ['a', t],
        ['p', p],
      ]),
    ) as PickleDict;
    const a = d.entries.get('a');
    const b = d.entries.get('p');
    expect(a instanceof TorchTensorRef && b instanceof TorchTensorRef && a.storage === b.storage).toBe(true);
    expect(b instanceof TorchTensorRef && b.offset).toBe(2);
  });
});
