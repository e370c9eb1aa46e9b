// Upstream's read_config state machine: lines -> global directives and virtual blocks, with line numbers.
import { WS, splitLines, isBlank, isCommentLine, blockDirectiveText } from './lexer.js';

/** A directive as written: name, value text after `name\s*=\s*`, its line, and the raw line. */
export interface RawDirective {
  readonly name: string;
  /** Text after `=` and following blanks; undefined when the line has no `=` (bare word). */
  readonly value: string | undefined;
  readonly line: number;
  /** The raw line (global) or directive text (block), for messages. */
  readonly raw: string;
  /** True when the line starts with whitespace (global context only). */
  readonly indented: boolean;
}

/** One virtual=/virtual6= block as written. */
export interface RawVirtual {
  readonly af: 'inet' | 'inet6';
  /** Text after `virtual\s*=\s*`. */
  readonly value: string;
  readonly line: number;
  /** Line that ended the block (the next line, or the last line of the file): upstream reports duplicates there. */
  readonly endLine: number;
  readonly directives: readonly RawDirective[];
  /** Directive texts inside the block that have no `name =` shape. */
  readonly unknown: readonly { readonly line: number; readonly raw: string }[];
  /** The block's lines as written (the virtual= line to the last line before endLine): a reload's memo key. */
  readonly source: string;
}

/** Outer-context items in file order. */
export type RawItem =
  | { readonly kind: 'global'; readonly d: RawDirective }
  | { readonly kind: 'virtual'; readonly v: RawVirtual }
  | { readonly kind: 'unknown'; readonly line: number; readonly raw: string; readonly afterBlockAt?: number };

/** The file split into upstream's contexts. */
export interface RawConfig {
  readonly file: string;
  readonly items: readonly RawItem[];
  readonly lineCount: number;
}

const VIRTUAL_RE = new RegExp(`^virtual(6)?${WS}*=${WS}*(.*)$`, 's');
const SUPERVISED_RE = new RegExp(`^supervised${WS}*=${WS}*(.*)$`, 's');
const DIRECTIVE_RE = new RegExp(`^(\\w+)${WS}*=${WS}*(.*)$`, 's');

function directive(text: string, line: number, raw: string): RawDirective | undefined {
  const m = DIRECTIVE_RE.exec(text);
  if (m) return { name: m[1]!, value: m[2]!, line, raw, indented: /^[ \t\n\v\f\r]/.test(raw) };
  return undefined;
}

/** Splits ldirectord.cf text into global directives and virtual blocks exactly as upstream's reader does. */
export function parseText(text: string, file: string): RawConfig {
  const lines = splitLines(text);
  const items: RawItem[] = [];
  let i = 0;
  // Set when a block was just ended by a blank line: indented lines after it are a classic mistake.
  let blankEndedBlockAt: number | undefined;
  while (i < lines.length) {
    const n = i + 1;
    const t = lines[i]!;
    const vm = VIRTUAL_RE.exec(t);
    if (vm) {
      blankEndedBlockAt = undefined;
      const directives: RawDirective[] = [];
      const unknown: { line: number; raw: string }[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (isCommentLine(l)) continue;
        const rcmd = blockDirectiveText(l);
        if (rcmd === undefined) break;
        const d = directive(rcmd, j + 1, l);
        if (d) directives.push(d);
        else unknown.push({ line: j + 1, raw: l });
      }
      const endLine = j < lines.length ? j + 1 : lines.length;
      items.push({
        kind: 'virtual',
        v: { af: vm[1] ? 'inet6' : 'inet', value: vm[2]!, line: n, endLine, directives, unknown, source: lines.slice(i, j).join('\n') },
      });
      if (j < lines.length && isBlank(lines[j]!)) blankEndedBlockAt = j + 1;
      i = j;
      continue;
    }
    i++;
    if (isBlank(t) || isCommentLine(t)) continue;
    if (t.startsWith('supervised')) {
      // upstream matches `^supervised` before anything else, so `supervised`, `supervisedx=1` are its errors
      const sm = SUPERVISED_RE.exec(t);
      items.push({ kind: 'global', d: { name: 'supervised', value: sm?.[1], line: n, raw: t, indented: false } });
      continue;
    }
    const d = directive(t, n, t);
    if (d) {
      blankEndedBlockAt = undefined; // an unindented line: the block is clearly over
      items.push({ kind: 'global', d });
      continue;
    }
    const indentedDirective = /^[ \t]+/.test(t) ? directive(t.replace(/^[ \t\n\v\f\r]+/, ''), n, t) : undefined;
    if (indentedDirective) {
      items.push(
        blankEndedBlockAt !== undefined
          ? { kind: 'unknown', line: n, raw: t, afterBlockAt: blankEndedBlockAt }
          : { kind: 'unknown', line: n, raw: t },
      );
      continue;
    }
    if (!/^[ \t]/.test(t)) blankEndedBlockAt = undefined;
    items.push({ kind: 'unknown', line: n, raw: t });
  }
  return { file, items, lineCount: lines.length };
}
