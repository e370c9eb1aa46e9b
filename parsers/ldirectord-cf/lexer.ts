// Line-level lexical rules of ldirectord.cf exactly as upstream's read_config applies them (spec §2.1).

/** Perl's \s on byte strings: space, \t, \n, \v, \f, \r (JS \s would also match Unicode spaces). */
export const WS = '[ \\t\\n\\v\\f\\r]';

const BLANK_RE = new RegExp(`^${WS}*$`);
const COMMENT_RE = new RegExp(`^${WS}*#`);
const TAB_RE = /\t/g;
const BLOCK_RE = /^ {4,}(.+)$/s;

/** Outer context: blank or whitespace-only line (ignored). */
export function isBlank(text: string): boolean {
  return BLANK_RE.test(text);
}

/** `^\s*#`: a comment line (ignored in both contexts; inside a block it does not end the block). */
export function isCommentLine(text: string): boolean {
  return COMMENT_RE.test(text);
}

/**
 * Inside a virtual block: strips from the first "#" (even inside quotes), turns every TAB into 4 spaces,
 * and returns the directive text after >= 4 leading spaces, or undefined when the line ends the block.
 */
export function blockDirectiveText(text: string): string | undefined {
  const hash = text.indexOf('#');
  const stripped = (hash >= 0 ? text.slice(0, hash) : text).replace(TAB_RE, '    ');
  const m = BLOCK_RE.exec(stripped);
  return m ? m[1] : undefined;
}

/** Perl string truthiness: "" and "0" are false, everything else true ("00" is true). */
export function perlTrue(s: string | undefined): boolean {
  return s !== undefined && s !== '' && s !== '0';
}
