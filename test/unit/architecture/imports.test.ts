// No import circles among the project's modules (type-only imports count: they tie the files'
// meaning together just the same). The folder boundaries themselves are ESLint rules (eslint.config.js).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** file → the project files it imports (".js" specifiers name ".ts" sources). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const out: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
      if (known.has(target)) out.push(target);
    }
    graph.set(f, out);
  }
  return graph;
}

/** Every elementary circle found by a depth-first walk (one per back edge), as relative paths. */
export function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') found.push([...stack.slice(stack.indexOf(t)), t].map((p) => relative(ROOT, p)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

describe('module imports', () => {
  it('form no circle in src/ and parsers/', () => {
    const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'parsers'))];
    expect(files.length).toBeGreaterThan(50);
    expect(circles(importGraph(files)).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the walker finds a circle when there is one', () => {
    const g = new Map([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts']],
      ['/d.ts', ['/a.ts']],
    ]);
    expect(circles(g)).toHaveLength(1);
    expect(circles(new Map([['/a.ts', ['/b.ts']], ['/b.ts', []]]))).toEqual([]);
  });
});
