// IpvsadmIpvs: the Ipvs interface through the ipvsadm binary (execFile, never a shell). State comes
// from `-S -n` plus `-L -n --exact --thresholds`; apply() batches through `ipvsadm -R`.
import { execFile } from 'node:child_process';
import { formatSave, opArgs, parseDaemonList, parseSave, parseThresholdList, startDaemonArgs, stopDaemonArgs } from '../../parsers/ipvsadm/index.js';
import type { DestKey, DestSpec, IpvsOp, IpvsService, IpvsState, ServiceKey, ServiceSpec, SyncDaemon, SyncState } from '../model/ipvs.js';
import { destKey, hostPort, serviceKey } from '../model/keys.js';
import { FakeIpvs } from './fake.js';
import { normalizeDestKey, normalizeDestSpec, normalizeServiceKey, normalizeServiceSpec, normalizeSyncDaemon } from './normalize.js';
import { IpvsError } from './types.js';
import type { Ipvs, IpvsErrno, IpvsInfo, IpvsOpResult } from './types.js';

/** An op as the ipvsadm command line that performs it (for logs). */
export { formatOp } from '../../parsers/ipvsadm/index.js';

/** Options for IpvsadmIpvs. */
export interface IpvsadmIpvsOptions {
  /** The ipvsadm executable (default "ipvsadm", found through PATH). */
  readonly bin?: string;
  /** Per-invocation timeout in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** How often a snapshot is retried when its two listings disagree (default 3). */
  readonly snapshotRetries?: number;
  /**
   * Read the table before each apply() so -R's anonymous error lines can be matched to the right
   * op (default true); without it, a message goes to the first op that could have printed it.
   */
  readonly attributeErrors?: boolean;
  /** Extra environment for ipvsadm (LC_ALL=C is always set so strerror texts stay English). */
  readonly env?: Readonly<Record<string, string>>;
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type OpKind = IpvsOp['op'];
const ALL: readonly OpKind[] = ['addService', 'editService', 'deleteService', 'addDest', 'editDest', 'deleteDest'];

/** ipvsadm's messages (libipvs ipvs_strerror, strerror, its own option checks) -> errno and the ops that print them. */
const MESSAGES: readonly { readonly text: string; readonly errno: IpvsErrno; readonly ops: readonly OpKind[] }[] = [
  { text: 'Service already exists', errno: 'EEXIST', ops: ['addService'] },
  { text: 'Scheduler or persistence engine not found', errno: 'ENOENT', ops: ['addService', 'editService'] },
  { text: 'No such service', errno: 'ESRCH', ops: ['editService', 'deleteService'] },
  { text: 'Service not defined', errno: 'ESRCH', ops: ['addDest', 'editDest', 'deleteDest'] },
  { text: 'Destination already exists', errno: 'EEXIST', ops: ['addDest'] },
  { text: 'No such destination', errno: 'ENOENT', ops: ['editDest', 'deleteDest'] },
  { text: 'Permission denied', errno: 'EPERM', ops: ALL },
  { text: 'Invalid operation', errno: 'EINVAL', ops: ALL },
  { text: 'Protocol not available', errno: 'ENOPROTOOPT', ops: ALL },
  { text: 'Memory allocation problem', errno: 'ENOMEM', ops: ALL },
  { text: 'Operation not supported with IPv6', errno: 'EOPNOTSUPP', ops: ALL },
  { text: 'Operation not supported with specified address family', errno: 'EAFNOSUPPORT', ops: ALL },
  { text: 'Module is wrong version', errno: 'EMSGSIZE', ops: ALL },
  { text: 'Numerical result out of range', errno: 'ERANGE', ops: ALL },
  { text: 'No such file or directory', errno: 'ENOENT', ops: ALL },
  { text: 'No such process', errno: 'ESRCH', ops: ALL },
  { text: 'File exists', errno: 'EEXIST', ops: ALL },
  { text: 'Invalid argument', errno: 'EINVAL', ops: ALL },
  { text: 'illegal weight specified', errno: 'ERANGE', ops: ['addDest', 'editDest'] },
  { text: 'illegal u_threshold specified', errno: 'EINVAL', ops: ['addDest', 'editDest'] },
  { text: 'illegal l_threshold specified', errno: 'EINVAL', ops: ['addDest', 'editDest'] },
  { text: 'illegal ipv6 netmask specified', errno: 'EINVAL', ops: ['addService', 'editService'] },
  { text: 'Different address family is allowed only for tunneling servers', errno: 'EINVAL', ops: ['addDest', 'editDest'] },
  // Sync daemon commands (never in an -R batch, hence no table ops).
  { text: 'Daemon has already run', errno: 'EEXIST', ops: [] },
  { text: 'No daemon is running', errno: 'ESRCH', ops: [] },
  { text: 'No such device', errno: 'ENODEV', ops: [] },
  { text: 'mcast-group', errno: 'EINVAL', ops: [] },
  { text: 'illegal syncid specified', errno: 'EINVAL', ops: [] },
  { text: 'illegal mcast-port specified', errno: 'EINVAL', ops: [] },
  { text: 'illegal mcast-ttl specified', errno: 'EINVAL', ops: [] },
  { text: 'illegal sync-maxlen specified', errno: 'EINVAL', ops: [] },
];

/** Maps one line of ipvsadm's stderr to an errno; undefined when it is not an error we know. */
export function errnoFromMessage(line: string): { errno: IpvsErrno; ops: readonly OpKind[] } | undefined {
  const m = MESSAGES.find((x) => line.includes(x.text));
  return m ? { errno: m.errno, ops: m.ops } : undefined;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** IPVS through the ipvsadm command: the fallback where netlink is unavailable, and a cross-check. */
export class IpvsadmIpvs implements Ipvs {
  readonly name = 'ipvsadm';
  private readonly bin: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly attribute: boolean;
  private readonly env: Readonly<Record<string, string>>;

  constructor(opts: IpvsadmIpvsOptions = {}) {
    this.bin = opts.bin ?? 'ipvsadm';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.snapshotRetries ?? 3;
    this.attribute = opts.attributeErrors ?? true;
    this.env = opts.env ?? {};
  }

  async probe(): Promise<IpvsInfo> {
    const r = await this.run(['-L', '-n']);
    const m = /IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)/.exec(r.stdout);
    if (r.code !== 0 || !m) {
      const line = firstLine(r.stderr) || firstLine(r.stdout);
      throw new IpvsError(errnoFromMessage(line)?.errno ?? 'ENOPROTOOPT', `ipvsadm -L -n failed: ${line}`, { code: 'IPVS_UNAVAILABLE' });
    }
    return { version: m[1] ?? '', connTableSize: Number(m[2]) };
  }

  async snapshot(): Promise<IpvsState> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.snapshotOnce();
      if (state) return state;
      if (attempt >= this.retries) {
        throw new IpvsError('EINTR', 'ipvsadm -S and -L listings kept disagreeing (table changing underneath)', { code: 'IPVS_DUMP_INTERRUPTED' });
      }
    }
  }

  async addService(svc: ServiceSpec): Promise<void> {
    await this.one({ op: 'addService', svc });
  }

  async editService(svc: ServiceSpec): Promise<void> {
    await this.one({ op: 'editService', svc });
  }

  async deleteService(key: ServiceKey): Promise<void> {
    await this.one({ op: 'deleteService', key });
  }

  async addDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    await this.one({ op: 'addDest', svc, dest });
  }

  async editDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    await this.one({ op: 'editDest', svc, dest });
  }

  async deleteDest(svc: ServiceKey, dest: DestKey): Promise<void> {
    await this.one({ op: 'deleteDest', svc, dest });
  }

  /**
   * One `ipvsadm -R` run for the whole list. -R keeps going after a kernel error and prints one
   * message per failed line without saying which, so messages are matched to ops in order by
   * which operations can print them (e.g. "No such destination" only from -e/-d), preferring the
   * op a replay of the batch on FakeIpvs (loaded with the table read just before) says fails.
   * Ops ipvsadm cannot express fail up front without running anything.
   */
  async apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]> {
    const results: (IpvsOpResult | undefined)[] = ops.map(() => undefined);
    const lines: string[] = [];
    const sent: number[] = [];
    ops.forEach((op, i) => {
      try {
        lines.push(this.args(op).join(' '));
        sent.push(i);
      } catch (err) {
        if (!(err instanceof IpvsError)) throw err;
        results[i] = { ok: false, error: err };
      }
    });
    if (lines.length > 0) {
      const before = this.attribute ? await this.snapshot().catch(() => undefined) : undefined;
      const r = await this.run(['-R'], lines.map((l) => `${l}\n`).join(''));
      const messages = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      const kinds = sent.map((i) => ops[i]?.op ?? 'addService');
      const expected = messages.length > 0 ? await this.predict(before, sent.flatMap((i) => (ops[i] ? [ops[i]] : []))) : undefined;
      const assigned = alignMessages(kinds, messages, expected);
      sent.forEach((opIndex, j) => {
        const a = assigned.perOp[j];
        if (a === undefined) results[opIndex] = { ok: true };
        else results[opIndex] = { ok: false, error: new IpvsError(a.errno, `ipvsadm -R: ${a.text}`) };
      });
      if (r.code === 2 || assigned.unmatched.length > 0) {
        // A parse error stops -R at an unknown line: nothing after the matched prefix is certain.
        const why = assigned.unmatched[0] ?? firstLine(r.stderr);
        for (let j = assigned.lastMatched + 1; j < sent.length; j++) {
          const opIndex = sent[j];
          if (opIndex !== undefined) results[opIndex] = { ok: false, error: new IpvsError('EPROTO', `ipvsadm -R aborted or unreadable (${why}); re-read the table`, { code: 'IPVS_PROTOCOL' }) };
        }
      }
    }
    return results.map((r) => r ?? { ok: true });
  }

  async listDaemons(): Promise<SyncDaemon[]> {
    const r = await this.run(['-L', '--daemon']);
    if (r.code !== 0) throw this.listError('-L --daemon', r);
    const daemons = parseDaemonList(r.stdout);
    if (!daemons) throw new IpvsError('EPROTO', `cannot parse ipvsadm -L --daemon output: ${firstLine(r.stdout)}`, { code: 'IPVS_PROTOCOL' });
    return daemons;
  }

  /** ipvsadm fills in eth0 and syncid 255 where the kernel would refuse: those are refused here, as the kernel does. */
  async startDaemon(daemon: SyncDaemon): Promise<void> {
    const d = normalizeSyncDaemon(daemon);
    if (d.state === undefined || d.iface === undefined || d.syncid === undefined) throw new IpvsError('EINVAL', 'sync daemon needs state, interface and syncid');
    await this.command(startDaemonArgs(d));
  }

  async stopDaemon(state: SyncState): Promise<void> {
    await this.command(stopDaemonArgs(state));
  }

  async close(): Promise<void> {
    // Nothing is held open between invocations.
  }

  /**
   * Which ops should fail, and how: the batch replayed on a kernel-faithful fake loaded with the
   * table as it was before the batch. Only used to tell apart ops a message could belong to (the
   * first or the second of two identical adds); undefined when there is no table to start from.
   */
  private async predict(before: IpvsState | undefined, ops: readonly IpvsOp[]): Promise<(IpvsErrno | undefined)[] | undefined> {
    if (!before) return undefined;
    try {
      const fake = new FakeIpvs();
      fake.load(formatSave(before, { thresholds: true }));
      const results = await fake.apply(ops);
      return results.map((r) => (r.ok ? undefined : r.error.errno));
    } catch {
      return undefined;
    }
  }

  /** Full-spec ipvsadm arguments, after the checks the kernel would make that ipvsadm cannot express. */
  private args(op: IpvsOp): string[] {
    switch (op.op) {
      case 'addService':
      case 'editService':
        return opArgs({ op: op.op, svc: normalizeServiceSpec(op.svc) });
      case 'deleteService':
        return opArgs({ op: op.op, key: normalizeServiceKey(op.key) });
      case 'addDest':
      case 'editDest': {
        const k = normalizeServiceKey(op.svc);
        const d = normalizeDestSpec(k, op.dest);
        // The kernel answers ERANGE for a negative weight; ipvsadm only takes 0..65535.
        if (d.weight < 0 || d.weight > 65535) throw new IpvsError('ERANGE', `weight ${d.weight} outside ipvsadm's 0..65535`);
        return opArgs({ op: op.op, svc: k, dest: { ...d, fwd: d.fwd === 'local' || d.fwd === 'bypass' ? 'route' : d.fwd } });
      }
      case 'deleteDest':
        return opArgs({ op: op.op, svc: normalizeServiceKey(op.svc), dest: normalizeDestKey(op.dest) });
    }
  }

  private async one(op: IpvsOp): Promise<void> {
    await this.command(this.args(op));
  }

  private async command(args: readonly string[]): Promise<void> {
    const r = await this.run(args);
    if (r.code === 0) return;
    const line = firstLine(r.stderr) || firstLine(r.stdout);
    const mapped = errnoFromMessage(line);
    throw new IpvsError(mapped?.errno ?? (r.code === 2 ? 'EINVAL' : 'EIO'), `ipvsadm ${args.join(' ')}: ${line} (exit ${r.code})`);
  }

  private async snapshotOnce(): Promise<IpvsState | undefined> {
    const save = await this.run(['-S', '-n']);
    if (save.code !== 0) throw this.listError('-S -n', save);
    const list = await this.run(['-L', '-n', '--exact', '--thresholds']);
    if (list.code !== 0) throw this.listError('-L -n --exact --thresholds', list);
    const parsed = parseSave(save.stdout);
    if (!parsed.ok) {
      const d = parsed.diagnostics[0];
      throw new IpvsError('EPROTO', `cannot parse ipvsadm -S -n line ${d?.line ?? 0}: ${d?.message ?? ''}`, { code: 'IPVS_PROTOCOL' });
    }
    const listed = parseThresholdList(list.stdout);
    if (listed.size !== parsed.state.services.length) return undefined;
    const services: IpvsService[] = [];
    for (const svc of parsed.state.services) {
      const ld = listed.get(serviceKey(svc.key));
      if (!ld || ld.length !== svc.dests.length) return undefined;
      const byKey = new Map(ld.map((d) => [hostPort(d.addr, d.port), d]));
      const dests = [];
      for (const d of svc.dests) {
        const extra = byKey.get(destKey(d));
        if (!extra) return undefined;
        dests.push({ ...d, uThresh: extra.uThresh, lThresh: extra.lThresh, activeConns: extra.activeConns, inactConns: extra.inactConns });
      }
      services.push({ ...svc, dests });
    }
    return { services };
  }

  private listError(what: string, r: RunResult): IpvsError {
    const line = firstLine(r.stderr) || firstLine(r.stdout);
    const code = /Can't initialize ipvs|Protocol not available|Permission denied/.test(r.stderr) ? 'IPVS_UNAVAILABLE' : 'IPVS_KERNEL';
    return new IpvsError(errnoFromMessage(line)?.errno ?? 'EIO', `ipvsadm ${what} failed: ${line} (exit ${r.code})`, { code });
  }

  private run(args: readonly string[], input?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.bin, args, { timeout: this.timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, ...this.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
        if (err && typeof err.code === 'string') {
          reject(new IpvsError(err.code, `cannot run ${this.bin}`, { cause: err, code: 'IPVS_UNAVAILABLE' }));
          return;
        }
        if (err && err.killed) {
          reject(new IpvsError('ETIMEDOUT', `${this.bin} ${args.join(' ')} took longer than ${this.timeoutMs} ms`, { cause: err, code: 'IPVS_TIMEOUT' }));
          return;
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
      else child.stdin?.end();
    });
  }
}

/** Result of matching -R's error lines to the ops that were sent, in order. */
export interface Alignment {
  /** Per sent op: the message that belongs to it, if it failed. */
  readonly perOp: readonly ({ errno: IpvsErrno; text: string } | undefined)[];
  /** Lines that matched no op (the run went wrong in a way we cannot attribute). */
  readonly unmatched: readonly string[];
  /** Index of the last op a message was matched to (-1 if none). */
  readonly lastMatched: number;
}

/**
 * Matches error lines to ops in order: each line goes to the next op that can print it, preferring
 * one the replay (`expected`) says fails with that errno.
 */
export function alignMessages(kinds: readonly OpKind[], messages: readonly string[], expected?: readonly (IpvsErrno | undefined)[]): Alignment {
  const perOp: ({ errno: IpvsErrno; text: string } | undefined)[] = kinds.map(() => undefined);
  const unmatched: string[] = [];
  let next = 0;
  let lastMatched = -1;
  for (const text of messages) {
    const m = errnoFromMessage(text);
    if (!m) {
      unmatched.push(text);
      continue;
    }
    const can = (j: number): boolean => m.ops.includes(kinds[j] ?? 'addService');
    let j = -1;
    if (expected) for (let k = next; k < kinds.length && j < 0; k++) if (can(k) && expected[k] === m.errno) j = k;
    if (j < 0) for (let k = next; k < kinds.length && j < 0; k++) if (can(k)) j = k;
    if (j < 0) {
      unmatched.push(text);
      continue;
    }
    perOp[j] = { errno: m.errno, text };
    lastMatched = j;
    next = j + 1;
  }
  return { perOp, unmatched, lastMatched };
}

/** The state as `ipvsadm -R` input (what ipvsadm-save would print, thresholds included). */
export function restoreScript(state: IpvsState): string {
  return formatSave(state, { thresholds: true });
}
