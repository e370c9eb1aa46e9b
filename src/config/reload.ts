// Parse-then-swap: a config change is read and parsed first; errors keep the running config untouched.
import { readFileSync } from 'node:fs';
import type { Config } from '../model/config.js';
import { readConfigFile, type LoadOutcome, type ParseFn } from './load.js';

export type { LoadOutcome, ParseFn };

/** A config already read and parsed (start-up passes it on instead of reading the file again). */
export interface InitialConfig {
  readonly config: Config;
  readonly text: string;
  readonly warnings: readonly string[];
}

/** What a reload attempt did. */
export type ReloadResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'failed'; readonly errors: readonly string[] }
  /** A guard held the new content back (it stays unapplied and is looked at again at the next change). */
  | { readonly kind: 'held'; readonly reason: string }
  | { readonly kind: 'reloaded'; readonly previous: Config; readonly config: Config; readonly warnings: readonly string[] };

/** Looks at a parsed new config before it is swapped in; a string holds it back (and says why). */
export type ReloadGuard = (next: { readonly text: string; readonly config: Config; readonly running: Config }) => Promise<string | undefined>;

/** Holds the running config and swaps it only for one that parsed cleanly (fixes §7.2 item 10). */
export class ConfigHolder {
  private cfg: Config;
  /**
   * The content last seen. Kept as text, not a hash: a sha256 of a 10,000-real file cost ~10 ms of every
   * SIGHUP, holding it costs one copy of the file (~400 KB at 10,000 reals), and comparing it is a memcmp.
   */
  private text: string;

  constructor(
    private readonly path: string,
    private readonly parse: ParseFn,
    initial: Pick<InitialConfig, 'config' | 'text'>,
  ) {
    this.cfg = initial.config;
    this.text = initial.text;
  }

  /** Reads and parses `path` once (start-up), unless the caller already did; never throws for a bad file. */
  static async load(path: string, parse: ParseFn, initial?: InitialConfig): Promise<{ holder: ConfigHolder; warnings: readonly string[] } | { errors: readonly string[] }> {
    if (initial) return { holder: new ConfigHolder(path, parse, initial), warnings: initial.warnings };
    const read = await readConfigFile(path);
    if (!read.ok) return { errors: [read.error] };
    const r = await parse(read.text, path);
    if (!r.ok) return { errors: r.errors };
    return { holder: new ConfigHolder(path, parse, { config: r.config, text: read.text }), warnings: r.warnings };
  }

  /** The running config. */
  get config(): Config {
    return this.cfg;
  }

  /** True when the file's content differs from the last content seen (a touch is not a change). */
  async changedOnDisk(): Promise<boolean> {
    try {
      // Synchronous for the reason readConfigFile gives.
      return readFileSync(this.path, 'utf8') !== this.text;
    } catch {
      return false;
    }
  }

  /**
   * Re-reads the file. Without `force` an unchanged content does nothing. A broken file leaves
   * the running config as it was; its text is remembered so it is not retried until it changes.
   */
  async reload(force: boolean, guard?: ReloadGuard): Promise<ReloadResult> {
    const read = await readConfigFile(this.path);
    if (!read.ok) return { kind: 'failed', errors: [read.error] };
    const text = read.text;
    if (!force && text === this.text) return { kind: 'unchanged' };
    // A truncated file (a crashed editor, `>` before the write) is never a config (issue 13 item 9).
    if (text.length === 0) return { kind: 'held', reason: `Configuration file '${this.path}' is empty: keeping the running configuration until it has content` };
    const r = await this.parse(text, this.path);
    if (r.ok && guard) {
      const reason = await guard({ text, config: r.config, running: this.cfg });
      if (reason !== undefined) return { kind: 'held', reason };
    }
    this.text = text;
    if (!r.ok) return { kind: 'failed', errors: r.errors };
    const previous = this.cfg;
    this.cfg = r.config;
    return { kind: 'reloaded', previous, config: r.config, warnings: r.warnings };
  }
}
