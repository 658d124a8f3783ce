/**
 * Test support for the combine kernels: decoding the oracle's base64 arrays, a minimal safetensors reader for
 * the fixtures (F32/F16/BF16), grouping LoRA/IA3 tensors per module, and PEFT's per-layer scaling.
 * Pure (no node:* imports), so it also runs in a browser test. @internal
 */

function bytesOf(base64: string): Uint8Array {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Decodes base64 little-endian float32 values. @internal */
export function decodeF32(base64: string): Float32Array {
  const b = bytesOf(base64);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

/** Decodes base64 little-endian float64 values. @internal */
export function decodeF64(base64: string): Float64Array {
  const b = bytesOf(base64);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice();
}

/** Decodes base64 little-endian int32 values. @internal */
export function decodeI32(base64: string): Int32Array {
  const b = bytesOf(base64);
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

/** A tensor from a safetensors file, widened to float32. @internal */
export interface FixtureTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Reads every tensor of a safetensors file (F32, F16 or BF16) into float32 arrays.
 *
 * @internal
 */
export function readSafetensors(bytes: Uint8Array): Map<string, FixtureTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out = new Map<string, FixtureTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const raw = bytes.slice(base + start, base + end);
    const dv = new DataView(raw.buffer);
    let data: Float32Array;
    if (info.dtype === 'F32') {
      data = new Float32Array(raw.buffer);
    } else if (info.dtype === 'F16' || info.dtype === 'BF16') {
      data = new Float32Array(raw.byteLength / 2);
      for (let i = 0; i < data.length; i++) {
        const h = dv.getUint16(i * 2, true);
        data[i] =
          info.dtype === 'F16' ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      }
    } else {
      throw new Error(`fixture tensor ${name}: dtype ${info.dtype} not supported by the test reader`);
    }
    out.set(name, { shape: info.shape, data });
  }
  return out;
}

/** One module's LoRA tensors. @internal */
export interface FixtureLoraModule {
  readonly A: FixtureTensor;
  readonly B: FixtureTensor;
  readonly embedding: boolean;
}

/**
 * Groups `base_model.model.<module>.lora_A.weight` / `lora_B.weight` (or `lora_embedding_A/B`) by module name.
 *
 * @internal
 */
export function loraModules(tensors: Map<string, FixtureTensor>): Map<string, FixtureLoraModule> {
  const out = new Map<string, FixtureLoraModule>();
  for (const [key, a] of tensors) {
    const match = /^base_model\.model\.(.+)\.lora_(embedding_)?A(\.weight)?$/.exec(key);
    if (match === null) continue;
    const module = match[1] as string;
    const embedding = match[2] !== undefined;
    const b = tensors.get(
      key.replace(embedding ? 'lora_embedding_A' : 'lora_A', embedding ? 'lora_embedding_B' : 'lora_B'),
    );
    if (b === undefined) throw new Error(`fixture: ${key} has no B`);
    out.set(module, { A: a, B: b, embedding });
  }
  return out;
}

/**
 * Groups `base_model.model.<module>.ia3_l` by module name.
 *
 * @internal
 */
export function ia3Modules(tensors: Map<string, FixtureTensor>): Map<string, FixtureTensor> {
  const out = new Map<string, FixtureTensor>();
  for (const [key, t] of tensors) {
    const match = /^base_model\.model\.(.+)\.ia3_l$/.exec(key);
    if (match !== null) out.set(match[1] as string, t);
  }
  return out;
}

/** The LoRA config fields the scaling depends on. @internal */
export interface FixtureLoraConfig {
  readonly r: number;
  readonly lora_alpha: number;
  readonly use_rslora?: boolean;
  readonly rank_pattern?: Record<string, number> | null;
  readonly alpha_pattern?: Record<string, number> | null;
  readonly fan_in_fan_out?: boolean;
  readonly target_modules: string | string[] | null;
}

function patternValue(
  pattern: Record<string, number> | null | undefined,
  module: string,
): number | undefined {
  if (!pattern) return undefined;
  for (const [key, value] of Object.entries(pattern)) {
    // PEFT's get_pattern_key: an exact name, else the first key that matches the end of the module path.
    if (key === module || new RegExp(`(^|\\.)(${key})$`).test(module)) return value;
  }
  return undefined;
}

/**
 * PEFT's scaling of one layer: `alpha / r`, or `alpha / sqrt(r)` with rsLoRA, rank/alpha patterns applied.
 *
 * @internal
 */
export function loraScaling(config: FixtureLoraConfig, module: string): { r: number; scaling: number } {
  const r = patternValue(config.rank_pattern, module) ?? config.r;
  const alpha = patternValue(config.alpha_pattern, module) ?? config.lora_alpha;
  return { r, scaling: config.use_rslora ? alpha / Math.sqrt(r) : alpha / r };
}

/** `B · A` in Float64 (B: out × r, A: r × in). @internal */
export function product(
  B: ArrayLike<number>,
  A: ArrayLike<number>,
  out: number,
  r: number,
  inF: number,
): Float64Array {
  const c = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let t = 0; t < r; t++) {
      const b = B[o * r + t] as number;
      for (let i = 0; i < inF; i++)
        c[o * inF + i] = (c[o * inF + i] as number) + b * (A[t * inF + i] as number);
    }
  }
  return c;
}

/**
 * Flips our singular components (row t of A with column t of B) to match a reference's signs, judged on A's
 * rows (dot product), and returns the flipped copies.
 *
 * @internal
 */
export function alignSigns(
  ours: { A: Float32Array; B: Float32Array },
  reference: { A: Float32Array },
  r: number,
  inF: number,
  out: number,
): { A: Float32Array; B: Float32Array; flipped: number } {
  const A = ours.A.slice();
  const B = ours.B.slice();
  let flipped = 0;
  for (let t = 0; t < r; t++) {
    let dot = 0;
    for (let i = 0; i < inF; i++) dot += (A[t * inF + i] as number) * (reference.A[t * inF + i] as number);
    if (dot < 0) {
      flipped++;
      for (let i = 0; i < inF; i++) A[t * inF + i] = -(A[t * inF + i] as number);
      for (let o = 0; o < out; o++) B[o * r + t] = -(B[o * r + t] as number);
    }
  }
  return { A, B, flipped };
}
