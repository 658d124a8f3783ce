/**
 * Which indices `torch.topk(values, k, largest=True)` returns on CPU, as a set: torch 2.x fills a queue of
 * (value, index) pairs and runs libstdc++'s `std::partial_sort` (when `k * 64 <= n`) or `std::nth_element`
 * (otherwise) with the comparator "x is NaN and y is not, or x > y". Neither is stable, so among equal values the
 * chosen indices depend on those algorithms' exact steps; this file re-implements them (introselect with
 * median-of-three pivots, heap select, insertion sort for ranges of 3 or fewer) to pick the same indices.
 */

/** Parallel arrays: the values being selected and their original indices. */
interface Queue {
  readonly v: Float64Array;
  readonly i: Int32Array;
}

/** torch's comparator for `largest=True`: NaN sorts first, then larger values. */
function greater(a: number, b: number): boolean {
  return (Number.isNaN(a) && !Number.isNaN(b)) || a > b;
}

function swap(q: Queue, a: number, b: number): void {
  const tv = q.v[a] as number;
  const ti = q.i[a] as number;
  q.v[a] = q.v[b] as number;
  q.i[a] = q.i[b] as number;
  q.v[b] = tv;
  q.i[b] = ti;
}

function move(q: Queue, to: number, from: number): void {
  q.v[to] = q.v[from] as number;
  q.i[to] = q.i[from] as number;
}

/** C++ integer division (truncates toward zero). */
function div2(x: number): number {
  return Math.trunc(x / 2);
}

function pushHeap(q: Queue, first: number, hole: number, top: number, value: number, index: number): void {
  let holeIndex = hole;
  let parent = div2(holeIndex - 1);
  while (holeIndex > top && greater(q.v[first + parent] as number, value)) {
    move(q, first + holeIndex, first + parent);
    holeIndex = parent;
    parent = div2(holeIndex - 1);
  }
  q.v[first + holeIndex] = value;
  q.i[first + holeIndex] = index;
}

function adjustHeap(q: Queue, first: number, hole: number, len: number, value: number, index: number): void {
  const top = hole;
  let holeIndex = hole;
  let child = hole;
  while (child < div2(len - 1)) {
    child = 2 * (child + 1);
    if (greater(q.v[first + child] as number, q.v[first + child - 1] as number)) child--;
    move(q, first + holeIndex, first + child);
    holeIndex = child;
  }
  if ((len & 1) === 0 && child === div2(len - 2)) {
    child = 2 * (child + 1);
    move(q, first + holeIndex, first + child - 1);
    holeIndex = child - 1;
  }
  pushHeap(q, first, holeIndex, top, value, index);
}

function makeHeap(q: Queue, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  let parent = div2(len - 2);
  for (;;) {
    adjustHeap(q, first, parent, len, q.v[first + parent] as number, q.i[first + parent] as number);
    if (parent === 0) return;
    parent--;
  }
}

function heapSelect(q: Queue, first: number, middle: number, last: number): void {
  makeHeap(q, first, middle);
  for (let k = middle; k < last; k++) {
    if (greater(q.v[k] as number, q.v[first] as number)) {
      // __pop_heap(first, middle, k): the heap top goes to k, k's old value sifts in from the top.
      const value = q.v[k] as number;
      const index = q.i[k] as number;
      move(q, k, first);
      adjustHeap(q, first, 0, middle - first, value, index);
    }
  }
}

function moveMedianToFirst(q: Queue, result: number, a: number, b: number, c: number): void {
  const va = q.v[a] as number;
  const vb = q.v[b] as number;
  const vc = q.v[c] as number;
  if (greater(va, vb)) {
    if (greater(vb, vc)) swap(q, result, b);
    else if (greater(va, vc)) swap(q, result, c);
    else swap(q, result, a);
  } else if (greater(va, vc)) swap(q, result, a);
  else if (greater(vb, vc)) swap(q, result, c);
  else swap(q, result, b);
}

function unguardedPartition(q: Queue, lo: number, hi: number, pivot: number): number {
  let first = lo;
  let last = hi;
  for (;;) {
    while (greater(q.v[first] as number, q.v[pivot] as number)) first++;
    last--;
    while (greater(q.v[pivot] as number, q.v[last] as number)) last--;
    if (!(first < last)) return first;
    swap(q, first, last);
    first++;
  }
}

function insertionSort(q: Queue, first: number, last: number): void {
  if (first === last) return;
  for (let k = first + 1; k < last; k++) {
    const value = q.v[k] as number;
    const index = q.i[k] as number;
    if (greater(value, q.v[first] as number)) {
      for (let j = k; j > first; j--) move(q, j, j - 1);
      q.v[first] = value;
      q.i[first] = index;
    } else {
      let hole = k;
      while (greater(value, q.v[hole - 1] as number)) {
        move(q, hole, hole - 1);
        hole--;
      }
      q.v[hole] = value;
      q.i[hole] = index;
    }
  }
}

function introselect(q: Queue, lo: number, nth: number, hi: number, depth: number): void {
  let first = lo;
  let last = hi;
  let depthLimit = depth;
  while (last - first > 3) {
    if (depthLimit === 0) {
      heapSelect(q, first, nth + 1, last);
      swap(q, first, nth);
      return;
    }
    depthLimit--;
    const mid = first + div2(last - first);
    moveMedianToFirst(q, first, first + 1, mid, last - 1);
    const cut = unguardedPartition(q, first + 1, last, first);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(q, first, last);
}

/**
 * The set of indices that torch's CPU `topk(values, k)` (largest, any `sorted`) selects, ties broken exactly as
 * torch 2.x built with libstdc++ breaks them.
 *
 * @param values - the values (already rounded to the tensor's dtype, e.g. with `Math.fround`)
 * @param k - how many to select, 0 ≤ k ≤ values.length
 * @returns the selected indices, in the order the queue holds them (not sorted)
 * @example
 * ```ts
 * torchTopkIndices(Float32Array.of(1, 1, 1, 1, 1), 2); // the indices torch.topk picks among the ties
 * ```
 */
export function torchTopkIndices(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`topk: k must be an integer in [0, ${n}]; got ${String(k)}`);
  }
  if (k === 0) return new Int32Array(0);
  const q: Queue = { v: Float64Array.from(values), i: new Int32Array(n) };
  for (let j = 0; j < n; j++) q.i[j] = j;
  if (k * 64 <= n) {
    heapSelect(q, 0, k, n);
  } else {
    // std::nth_element(first, first + k - 1, last): depth limit 2·⌊log2 n⌋.
    introselect(q, 0, k - 1, n, 2 * (31 - Math.clz32(n)));
  }
  return q.i.slice(0, k);
}
