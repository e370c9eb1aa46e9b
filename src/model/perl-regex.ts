// ldirectord's `receive=` is a Perl regex (upstream: `$body =~ /$receive/`). The one place that turns it
// into a JavaScript RegExp with Perl's meaning, and refuses (with the reason) the Perl it cannot translate.
// The parser imports it to reject a pattern at `-t` (FILE:LINE), the checks to match with it.
// Bounded time is the matcher's job (src/checks/match.ts): `inline` says which patterns are safe to run on
// the event loop (no quantifier, no alternation: at most text × pattern steps); the rest run in a worker
// thread that is terminated at the check's deadline.
/** A compiled receive=: `test(text)` with Perl's semantics for the anchors it used. */
export interface PerlRegex {
  /** The receive= text as written. */
  readonly source: string;
  /** The translation: `new RegExp(body, flags)`; `dollar`: retry without a final newline (Perl's `$`). */
  readonly body: string;
  readonly flags: string;
  readonly dollar: boolean;
  /** True when no input can make it backtrack: no quantifier and no alternation. */
  readonly inline: boolean;
  /** Unbounded on backtracking patterns: only for `inline` ones, or off the event loop. */
  test(text: string): boolean;
}

/** Perl's `$` semantics on a translated pattern: also matches with a final newline removed. */
export function testTranslated(js: RegExp, dollar: boolean, text: string): boolean {
  return js.test(text) || (dollar && text.endsWith('\n') && js.test(text.slice(0, -1)));
}

/** No quantifier or alternation outside escapes and classes: the backtracking engine is then O(text × pattern). */
function isInline(body: string): boolean {
  const bare = body.replace(/\\[\s\S]/g, 'e').replace(/\[(?:\\[\s\S]|[^\]\\])*\]/g, 'c');
  return !/[*+?{|]/.test(bare);
}

export type PerlRegexResult = { ok: true; regex: PerlRegex } | { ok: false; error: string };

/** POSIX bracket classes → the JS class body they stand for (ASCII, as Perl without /u). */
const POSIX: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w', cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~', graph: '!-~', ascii: '\\x00-\\x7f',
};

const INLINE_FLAGS: Readonly<Record<string, string>> = { i: 'i', s: 's', m: 'm' };

class Unsupported extends Error {}

function hexEscape(code: number): string {
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  throw new Unsupported(`\\x{${code.toString(16)}} is outside the Basic Multilingual Plane`);
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => `\\${c}`);
}

/** Translation of Perl syntax to JS syntax; `dollar` says whether the pattern uses `$`/`\Z` (end or before a final \n). */
function translate(src: string): { body: string; flags: string; dollar: boolean } {
  let i = 0;
  let flags = '';
  let dollar = false;
  let out = '';
  // A leading (?imsx) sets flags for the whole pattern: the form Perl configs use.
  const lead = /^\(\?([a-z]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      const js = INLINE_FLAGS[f];
      if (js === undefined) throw new Unsupported(`inline flag (?${f}) is not supported`);
      if (!flags.includes(js)) flags += js;
    }
    i = lead[0].length;
  }
  let inClass = false;
  let classStart = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Unsupported('trailing backslash');
      if (n === 'x' && src[i + 2] === '{') {
        const end = src.indexOf('}', i + 3);
        const hex = end < 0 ? '' : src.slice(i + 3, end);
        if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) throw new Unsupported(`bad \\x{…} escape`);
        out += hexEscape(Number.parseInt(hex, 16));
        i = end + 1;
      } else if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = src.slice(i + 2, end < 0 ? undefined : end);
        out += inClass ? lit.replace(/[\\\]^-]/g, (ch) => `\\${ch}`) : escapeLiteral(lit);
        i = end < 0 ? src.length : end + 2;
      } else if (n === 'E') {
        i += 2; // a stray \E ends nothing in Perl either
      } else if (!inClass && n === 'A') {
        out += '^';
        i += 2;
      } else if (!inClass && n === 'z') {
        out += '$';
        i += 2;
      } else if (!inClass && n === 'Z') {
        out += '$';
        dollar = true;
        i += 2;
      } else if (n === 'h') {
        out += inClass ? ' \\t' : '[ \\t]';
        i += 2;
      } else if (n === 'e') {
        out += '\\x1b';
        i += 2;
      } else if (/[gkKGCXRNpPlLuU]/.test(n) && !inClass) {
        throw new Unsupported(`\\${n} is not supported`);
      } else {
        out += `\\${n}`;
        i += 2;
      }
      classStart = false;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        if (m) {
          const body = POSIX[m[2]!];
          if (body === undefined) throw new Unsupported(`unknown POSIX class [:${m[2]}:]`);
          if (m[1] === '^') throw new Unsupported(`negated POSIX class [:^${m[2]}:]`);
          out += body;
          i += m[0].length;
          classStart = false;
          continue;
        }
      }
      if (c === ']' && !classStart) inClass = false;
      out += c === '[' ? '\\[' : c;
      classStart = classStart && c === '^';
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = true;
      out += c;
      i++;
      if (src[i] === '^') {
        out += '^';
        i++;
      }
      // Perl: a ']' first in a class is literal.
      if (src[i] === ']') {
        out += '\\]';
        i++;
      }
      classStart = false;
      continue;
    }
    if (c === '$') {
      out += '$';
      dollar = true;
      i++;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('#')) {
        const end = src.indexOf(')', i);
        if (end < 0) throw new Unsupported('unterminated (?#comment)');
        i = end + 1;
        continue;
      }
      if (rest.startsWith('>')) {
        // Atomic group: as a plain group it finds the same matches but for ones backtracking into it would add.
        out += '(?:';
        i += 3;
        continue;
      }
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (/^[a-z^-]*[:)]/.test(rest) && !rest.startsWith(':')) {
        throw new Unsupported(`inline flags (?${/^[a-z^-]*/.exec(rest)![0]}…) are supported only at the start of the pattern`);
      }
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && src[i + 1] === '+') {
      // Possessive quantifier: the greedy one finds every match it finds (and, rarely, more).
      out += c;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return { body: out, flags, dollar };
}

const cache = new Map<string, PerlRegexResult>();

/**
 * Compile a receive= pattern. Errors say why in words and never throw; results are cached (the same
 * receive is compiled once per process, not once per check).
 */
export function compilePerlRegex(source: string): PerlRegexResult {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  const r = compileUncached(source);
  if (cache.size > 10_000) cache.clear();
  cache.set(source, r);
  return r;
}

function compileUncached(source: string): PerlRegexResult {
  let t: ReturnType<typeof translate>;
  try {
    t = translate(source);
  } catch (err) {
    if (err instanceof Unsupported) return { ok: false, error: `receive regex ${JSON.stringify(source)}: ${err.message}` };
    throw err;
  }
  let js: RegExp;
  try {
    js = new RegExp(t.body, t.flags);
  } catch (err) {
    return { ok: false, error: `invalid receive regex ${JSON.stringify(source)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
  const { body, flags, dollar } = t;
  return {
    ok: true,
    // Perl's `$` (and \Z) also match before a final newline: "^OK$" matches "OK\n".
    regex: { source, body, flags, dollar, inline: isInline(body), test: (text) => testTranslated(js, dollar, text) },
  };
}
