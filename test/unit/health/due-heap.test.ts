// The scheduler's one timer structure: a min-heap of due times, first in first out among equal times.
import fc from 'fast-check';
import { DueHeap } from '../../../src/health/due-heap.js';

test('pops in time order, equal times in push order, whatever the push order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
      const h = new DueHeap<number>();
      times.forEach((at, i) => h.push({ at, item: i }));
      const out: [number, number][] = [];
      for (let e = h.pop(); e !== undefined; e = h.pop()) out.push([e.at, e.item]);
      const want = times.map((at, i): [number, number] => [at, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(out).toEqual(want);
      expect(h.size).toBe(0);
    }),
  );
});

test('peek shows the earliest without removing it; clear empties', () => {
  const h = new DueHeap<string>();
  h.push({ at: 5, item: 'b' });
  h.push({ at: 1, item: 'a' });
  expect(h.peek()).toMatchObject({ at: 1, item: 'a' });
  expect(h.size).toBe(2);
  h.clear();
  expect(h.peek()).toBeUndefined();
});
