import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type AdaloraLinear, planAdalora } from '../adalora.js';
import type { BackendName } from '../backend/backend.js';
import { selectBackend } from '../backend/select-backend.js';
import { lowRankProgram, type WasmProgram } from '../backend/wasm-program.js';
import type { FloatArray, FloatDtype, Weight } from '../dtype.js';
import { KernelError } from '../errors.js';
import { embeddingAsLinear, type LoraEmbedding } from '../lora.js';
import {
  checkPlanWeight,
  job,
  type LoraLinear,
  type LowRankPlan,
  planLora,
  planRows,
  rowsOf,
  unmergeRounding,
} from '../low-rank.js';
import { wasmModule } from '../wasm/load-wasm.js';
import { WORKER_SOURCE } from './worker-source.js';

/** Options of {@link createKernelPool}. */
export interface KernelPoolOptions {
  /** Worker threads; default `min(8, max(1, availableParallelism() - 1))`. */
  threads?: number;
  /** Fewest weight rows given to one thread (small weights use fewer threads); default 32. */
  minRowsPerThread?: number;
}

/**
 * A worker_threads pool that splits merges across cores: each thread runs the WebAssembly kernel on its own
 * block of rows of W, shared through a SharedArrayBuffer. Per row the arithmetic is the single-thread kernel's,
 * so results are bit-identical to `mergeLora` & co. Calls are queued and run one after another.
 */
export interface KernelPool {
  /** Number of worker threads. */
  readonly threads: number;
  /** `'wasm'`; `'js'` when this runtime cannot compile the module (everything then runs on the calling thread). */
  readonly backend: BackendName;
  /** {@link mergeLora} across threads. */
  mergeLora(weight: Weight, lora: LoraLinear): Promise<void>;
  /** {@link unmergeLora} across threads. */
  unmergeLora(weight: Weight, lora: LoraLinear): Promise<void>;
  /** {@link mergeLoraEmbedding} across threads. */
  mergeLoraEmbedding(weight: Weight, lora: LoraEmbedding): Promise<void>;
  /** {@link unmergeLoraEmbedding} across threads. */
  unmergeLoraEmbedding(weight: Weight, lora: LoraEmbedding): Promise<void>;
  /** {@link mergeAdalora} across threads. */
  mergeAdalora(weight: Weight, ada: AdaloraLinear): Promise<void>;
  /** {@link unmergeAdalora} across threads. */
  unmergeAdalora(weight: Weight, ada: AdaloraLinear): Promise<void>;
  /** Stops the workers; later calls reject with `POOL_CLOSED`. */
  close(): Promise<void>;
}

interface Pending {
  resolve(): void;
  reject(error: unknown): void;
}

/** One worker and the jobs it has not answered yet. */
class PoolWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;

  constructor(module: object) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module } });
    this.worker.unref();
    this.worker.on('message', (msg: { id: number; ok: boolean; message?: string }) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.ok) p?.resolve();
      else
        p?.reject(
          new KernelError('WORKER_FAILED', `kernel worker failed: ${msg.message ?? 'unknown error'}`),
        );
    });
    const fail = (cause: unknown) => {
      this.dead = true;
      for (const p of this.pending.values()) {
        p.reject(new KernelError('WORKER_FAILED', `kernel worker stopped: ${String(cause)}`, { cause }));
      }
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  run(program: WasmProgram): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, program });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** A SharedArrayBuffer-backed copy of a typed array (or the array itself when it is already shared). */
function shared<T extends FloatArray>(data: T): T {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const ctor = data.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new ctor(new SharedArrayBuffer(data.byteLength));
  copy.set(data as never);
  return copy;
}

class Pool implements KernelPool {
  readonly threads: number;
  readonly backend: BackendName;
  private readonly minRows: number;
  private readonly module: object | null;
  private workers: PoolWorker[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: KernelPoolOptions) {
    const threads = options.threads ?? Math.min(8, Math.max(1, availableParallelism() - 1));
    const minRows = options.minRowsPerThread ?? 32;
    for (const [name, v] of [
      ['threads', threads],
      ['minRowsPerThread', minRows],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new KernelError(
          'INVALID_ARGUMENT',
          `createKernelPool: ${name} must be an integer >= 1; got ${v}`,
        );
      }
    }
    this.threads = threads;
    this.minRows = minRows;
    this.module = wasmModule();
    this.backend = this.module === null ? 'js' : 'wasm';
  }

  private worker(i: number): PoolWorker {
    let w = this.workers[i];
    if (w === undefined || w.dead) {
      w = new PoolWorker(this.module as object);
      this.workers[i] = w;
    }
    return w;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new KernelError('POOL_CLOSED', 'the kernel pool was closed'));
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private run(plan: LowRankPlan, weight: Weight, subtract: boolean, roundDelta: FloatDtype): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) throw new KernelError('POOL_CLOSED', 'the kernel pool was closed');
      const parts = Math.min(this.threads, Math.ceil(plan.rows / this.minRows));
      if (this.module === null || parts <= 1) {
        // small weights (and runtimes without WebAssembly) run on the calling thread
        selectBackend('auto').lowRank(job(plan, weight, weight, subtract, roundDelta));
        return;
      }
      const data = shared(weight.data);
      const buffer = { data, dtype: weight.dtype };
      const whole: LowRankPlan = { ...plan, p: shared(plan.p), q: shared(plan.q) };
      const jobs: Promise<void>[] = [];
      for (let k = 0; k < parts; k++) {
        const r0 = Math.floor((plan.rows * k) / parts);
        const r1 = Math.floor((plan.rows * (k + 1)) / parts);
        const part = rowsOf(buffer, plan.cols, r0, r1);
        const program = lowRankProgram(job(planRows(whole, r0, r1), part, part, subtract, roundDelta));
        jobs.push(this.worker(k).run(program));
      }
      await Promise.all(jobs);
      if (data !== weight.data) (weight.data as FloatArray).set(data as never);
    });
  }

  mergeLora(weight: Weight, lora: LoraLinear): Promise<void> {
    const plan = planLora('pool.mergeLora', lora);
    checkPlanWeight('pool.mergeLora: weight', weight, plan);
    return this.run(plan, weight, false, plan.adapterDtype);
  }

  unmergeLora(weight: Weight, lora: LoraLinear): Promise<void> {
    const plan = planLora('pool.unmergeLora', lora);
    checkPlanWeight('pool.unmergeLora: weight', weight, plan);
    return this.run(plan, weight, true, unmergeRounding(plan, weight));
  }

  mergeLoraEmbedding(weight: Weight, lora: LoraEmbedding): Promise<void> {
    return this.mergeLora(weight, embeddingAsLinear(lora));
  }

  unmergeLoraEmbedding(weight: Weight, lora: LoraEmbedding): Promise<void> {
    return this.unmergeLora(weight, embeddingAsLinear(lora));
  }

  mergeAdalora(weight: Weight, ada: AdaloraLinear): Promise<void> {
    const plan = planAdalora('pool.mergeAdalora', ada);
    checkPlanWeight('pool.mergeAdalora: weight', weight, plan);
    return this.run(plan, weight, false, 'f32');
  }

  unmergeAdalora(weight: Weight, ada: AdaloraLinear): Promise<void> {
    const plan = planAdalora('pool.unmergeAdalora', ada);
    checkPlanWeight('pool.unmergeAdalora: weight', weight, plan);
    return this.run(plan, weight, true, 'f32');
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Creates a worker_threads pool for merging big weights on several cores (Node only: import from
 * `@peftjs/kernels/node`). Results are bit-identical to the single-thread functions.
 *
 * @param options - `threads`, `minRowsPerThread`
 * @returns the pool; call `close()` when done (idle workers do not keep the process alive)
 * @throws {KernelError} `INVALID_ARGUMENT` for a bad option
 * @example
 * ```ts
 * const pool = createKernelPool({ threads: 4 });
 * await pool.mergeLora(weight, lora);
 * await pool.close();
 * ```
 */
export function createKernelPool(options: KernelPoolOptions = {}): KernelPool {
  return new Pool(options);
}
