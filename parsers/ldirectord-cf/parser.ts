// Upstream's read_config state machine: lines -> global directives and virtual blocks, with line numbers.
import { WS, isBlank, isCommentLine, blockDirectiveText } from './lexer.js';

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

/**
 * True when the line text[at, end) inside a virtual block keeps the block going: a comment line, or a
 * directive text after TAB expansion (blockDirectiveText). A TAB then anything, or 4 spaces then anything,
 * always does (as a comment or as >= 5 columns before any "#"): the common shapes are decided without
 * making the line a string or running a regex (issue 16 item 4).
 */
function continuesBlock(text: string, at: number, end: number): boolean {
  const c = text.charCodeAt(at);
  if (c === 9 && end - at >= 2) return true;
  if (c === 32 && end - at >= 5 && text.startsWith('    ', at)) return true;
  const l = text.slice(at, end);
  return isCommentLine(l) || blockDirectiveText(l) !== undefined;
}

/**
 * One virtual block; its directives are read from its lines when first asked for: a reload that finds
 * the block unchanged (ParseMemo) never needs them.
 */
class BlockText implements RawVirtual {
  private read: { directives: RawDirective[]; unknown: { line: number; raw: string }[] } | undefined;
  constructor(
    readonly af: 'inet' | 'inet6',
    readonly value: string,
    readonly line: number,
    readonly endLine: number,
    readonly source: string,
  ) {}

  get directives(): readonly RawDirective[] {
    return this.body().directives;
  }

  get unknown(): readonly { readonly line: number; readonly raw: string }[] {
    return this.body().unknown;
  }

  /** The lines after the virtual= line, each a comment or a directive text (parseText found the block's end). */
  private body(): NonNullable<BlockText['read']> {
    if (this.read) return this.read;
    const directives: RawDirective[] = [];
    const unknown: { line: number; raw: string }[] = [];
    const lines = this.source.split('\n');
    for (let k = 1; k < lines.length; k++) {
      const l = lines[k]!;
      const n = this.line + k;
      if (isCommentLine(l)) continue;
      const d = directive(blockDirectiveText(l)!, n, l);
      if (d) directives.push(d);
      else unknown.push({ line: n, raw: l });
    }
    return (this.read = { directives, unknown });
  }
}

/** Splits ldirectord.cf text into global directives and virtual blocks exactly as upstream's reader does. */
export function parseText(text: string, file: string): RawConfig {
  const items: RawItem[] = [];
  // Lines as Perl's <FH> reads them: split on "\n", the last may lack it, a final "\n" starts no empty line
  // (a "\r" stays, as in Perl). Line i (0-based) is text[at, end): walked by offset, so a block's source is
  // one slice of the text and block lines are made strings only when needed.
  const len = text.length;
  const endOf = (from: number): number => {
    const e = text.indexOf('\n', from);
    return e < 0 ? len : e;
  };
  let i = 0;
  let at = 0;
  // Set when a block was just ended by a blank line: indented lines after it are a classic mistake.
  let blankEndedBlockAt: number | undefined;
  while (at < len) {
    const n = i + 1;
    const lineEnd = endOf(at);
    const t = text.slice(at, lineEnd);
    const vm = VIRTUAL_RE.exec(t);
    if (vm) {
      blankEndedBlockAt = undefined;
      let j = i + 1;
      let end = lineEnd;
      let next = lineEnd + 1;
      for (; next < len; j++) {
        const e = endOf(next);
        if (!continuesBlock(text, next, e)) break;
        end = e;
        next = e + 1;
      }
      // The line that ended the block, or the last line of the file.
      const endLine = next < len ? j + 1 : j;
      items.push({ kind: 'virtual', v: new BlockText(vm[1] ? 'inet6' : 'inet', vm[2]!, n, endLine, text.slice(at, end)) });
      if (next < len && isBlank(text.slice(next, endOf(next)))) blankEndedBlockAt = j + 1;
      i = j;
      at = next;
      continue;
    }
    i++;
    at = lineEnd + 1;
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
  return { file, items, lineCount: i };
}
