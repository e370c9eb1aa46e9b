// A binary min-heap of due times: the scheduler keeps one clock timer for the earliest entry instead of
// one timer per job (10,000 reals = 10,000 live timers and a closure each, otherwise).

/** One entry: when it is due, and what for (the scheduler checks on pop whether it still holds). */
export interface Due<T> {
  readonly at: number;
  readonly item: T;
}

type Node<T> = Due<T> & { readonly seq: number };

/** a before b: earlier, or as early and pushed first (jobs due together start in the order they were scheduled). */
function before<T>(a: Node<T>, b: Node<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Min-heap on `at`, first in first out among equal times. */
export class DueHeap<T> {
  private readonly a: Node<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.a.length;
  }

  push(due: Due<T>): void {
    const a = this.a;
    const e: Node<T> = { at: due.at, item: due.item, seq: this.seq++ };
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, a[p]!)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }

  peek(): Due<T> | undefined {
    return this.a[0];
  }

  pop(): Due<T> | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(a[r]!, a[l]!) ? r : l;
      if (!before(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.a.length = 0;
  }
}
