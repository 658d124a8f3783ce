import { f32ToBf16, f32ToF16 } from '@peftjs/kernels';
import { type ExternalDataSource, getExternalDataInfo } from '../model/external-data.js';
import { inlineTensorData, readTensorData } from '../model/tensor-data.js';
import { DataType, type TensorProto } from '../model/types.js';
import type { BaseWeight } from './types.js';
import type { WeightSource } from './weight-uses.js';

/** Elements compared before a full comparison (a strided sample over the whole tensor). */
const SAMPLE_SIZE = 64;

const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.FLOAT16]: 2,
  [DataType.BFLOAT16]: 2,
};

/** A candidate found to hold the base weight, directly or transposed. @internal */
export interface ValueMatch {
  readonly source: WeightSource;
  readonly transposed: boolean;
}

/** Flat indices of the sample, in the base weight's row-major order. */
function samplePositions(n: number): number[] {
  const k = Math.min(SAMPLE_SIZE, n);
  if (k <= 1) return n === 0 ? [] : [0];
  return Array.from({ length: k }, (_, i) => Math.floor((i * (n - 1)) / (k - 1)));
}

/** The base weight's values in a tensor's storage type, as little-endian bytes. */
function castBytes(values: Float32Array, dataType: number): Uint8Array {
  const cast =
    dataType === DataType.FLOAT16
      ? f32ToF16(values)
      : dataType === DataType.BFLOAT16
        ? f32ToBf16(values)
        : values;
  return new Uint8Array(cast.buffer, cast.byteOffset, cast.byteLength);
}

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Finds which float initializers hold a base checkpoint's weight, W or Wᵀ, bit for bit (after rounding W to
 * the initializer's type). A hash of a strided sample narrows the candidates; then the full tensor is
 * compared. @internal
 */
export class ValueMatcher {
  private index: Promise<Map<string, ValueMatch[]>> | undefined;

  /**
   * @param candidates - 2-D FLOAT / FLOAT16 / BFLOAT16 tensors that operators read as weights
   * @param source - where external candidates are read from
   */
  constructor(
    private readonly candidates: readonly WeightSource[],
    private readonly source: ExternalDataSource | undefined,
  ) {}

  /** Reads the bytes of some elements of a tensor (only those, for external tensors). */
  private async elements(tensor: TensorProto, indices: readonly number[]): Promise<Uint8Array> {
    const size = ELEMENT_BYTES[tensor.dataType] as number;
    const out = new Uint8Array(indices.length * size);
    const inline = inlineTensorData(tensor);
    const info = getExternalDataInfo(tensor);
    await Promise.all(
      indices.map(async (e, i) => {
        const bytes = inline
          ? inline.subarray(e * size, e * size + size)
          : info && this.source
            ? await this.source.read(info.location, info.offset + e * size, size)
            : undefined;
        if (bytes) out.set(bytes, i * size);
      }),
    );
    return out;
  }

  private key(dataType: number, rows: number, cols: number, sample: Uint8Array): string {
    return `${dataType}|${rows}x${cols}|${fnv1a(sample)}`;
  }

  private build(): Promise<Map<string, ValueMatch[]>> {
    this.index ??= (async () => {
      const map = new Map<string, ValueMatch[]>();
      const add = (key: string, match: ValueMatch): void => {
        const list = map.get(key);
        if (list) list.push(match);
        else map.set(key, [match]);
      };
      for (const source of this.candidates) {
        const { tensor } = source;
        if (getExternalDataInfo(tensor) && !this.source) continue;
        const [a, b] = tensor.dims as [number, number];
        const positions = samplePositions(a * b);
        // as W [a, b]: element (i, j) of W is element (i, j) of the tensor
        add(this.key(tensor.dataType, a, b, await this.elements(tensor, positions)), {
          source,
          transposed: false,
        });
        // as W [b, a] stored transposed: element (i, j) of W is element (j, i) of the tensor
        const swapped = positions.map((p) => (p % a) * b + Math.floor(p / a));
        add(this.key(tensor.dataType, b, a, await this.elements(tensor, swapped)), {
          source,
          transposed: true,
        });
      }
      return map;
    })();
    return this.index;
  }

  /**
   * The candidates equal to `base` (each at most once; a square weight may match both ways).
   *
   * @param base - the checkpoint's weight, 2-D
   * @returns the matches
   */
  async find(base: BaseWeight): Promise<ValueMatch[]> {
    const [rows, cols] = base.shape as [number, number];
    if (base.shape.length !== 2 || base.data.length !== rows * cols) return [];
    const index = await this.build();
    const positions = samplePositions(rows * cols);
    const sample = Float32Array.from(positions, (p) => base.data[p] as number);
    const found: ValueMatch[] = [];
    for (const dataType of Object.keys(ELEMENT_BYTES).map(Number)) {
      const hits = index.get(this.key(dataType, rows, cols, castBytes(sample, dataType))) ?? [];
      for (const hit of hits) if (await this.fullyEqual(hit, base)) found.push(hit);
    }
    return found;
  }

  private async fullyEqual(match: ValueMatch, base: BaseWeight): Promise<boolean> {
    const [rows, cols] = base.shape as [number, number];
    let values = base.data;
    if (match.transposed) {
      values = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) values[j * rows + i] = base.data[i * cols + j] as number;
    }
    const expected = castBytes(values, match.source.tensor.dataType);
    return equalBytes(await readTensorData(match.source.tensor, this.source), expected);
  }
}
