/** Free worker numbers in a min-heap: take() hands out the lowest, in O(log n). */
export class WorkerIds {
  readonly #heap: number[];

  constructor(count: number) {
    // 1..count in order is already a valid min-heap.
    this.#heap = Array.from({ length: count }, (_, i) => i + 1);
  }

  take(): number {
    const heap = this.#heap;
    const top = heap[0] ?? 0;
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === i) break;
        const t = heap[i]!;
        heap[i] = heap[m]!;
        heap[m] = t;
        i = m;
      }
    }
    return top;
  }

  give(id: number): void {
    const heap = this.#heap;
    heap.push(id);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= heap[i]!) break;
      const t = heap[i]!;
      heap[i] = heap[parent]!;
      heap[parent] = t;
      i = parent;
    }
  }
}
