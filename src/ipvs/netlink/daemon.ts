// Sync daemon messages of the IPVS family: NEW_DAEMON, DEL_DAEMON, the GET_DAEMON dump and its
// replies (ip_vs_ctl.c ip_vs_genl_new_daemon / _del_daemon / _fill_daemon). Pure; no I/O.
// STATE, SYNC_ID, SYNC_MAXLEN, MCAST_PORT and MCAST_TTL are host order (nla_get_u16 of the port,
// which start_sync_thread then htons()es); MCAST_GROUP is the in_addr's raw bytes.
import type { SyncDaemon, SyncState } from '../../model/ipvs.js';
import { formatIp, parseIp } from '../../net/ip.js';
import { IpvsError } from '../types.js';
import * as C from './constants.js';
import { decodeGenl, parseAttrs } from './decode.js';
import type { NlMessage } from './decode.js';
import { NlWriter } from './writer.js';

/** IP_VS_STATE_* (include/uapi/linux/ip_vs.h). */
export const IP_VS_STATE_MASTER = 1;
export const IP_VS_STATE_BACKUP = 2;

/** IPVS_DAEMON_ATTR_*. */
export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2;
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5;
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6;
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7;
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

const STATE_NUM: Record<SyncState, number> = { master: IP_VS_STATE_MASTER, backup: IP_VS_STATE_BACKUP };

function protoErr(what: string): IpvsError {
  return new IpvsError('EPROTO', what, { code: 'IPVS_PROTOCOL' });
}

function stateNum(state: SyncState): number {
  // An unknown state goes out as 0 (IP_VS_STATE_NONE): the kernel answers EINVAL, as for ipvsadm.
  return STATE_NUM[state] ?? 0;
}

/**
 * NEW_DAEMON. Absent fields are not sent (the kernel refuses a request without STATE, MCAST_IFN or
 * SYNC_ID with EINVAL, and gives absent optional ones its defaults). Expects normalizeSyncDaemon().
 */
export function encodeNewDaemon(family: number, seq: number, d: SyncDaemon): Buffer {
  const group = d.group !== undefined ? parseIp(d.group) : undefined;
  if (d.group !== undefined && !group) throw new IpvsError('EINVAL', `sync group ${d.group} is not an address`);
  const w = new NlWriter(family, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, C.IPVS_CMD_NEW_DAEMON);
  w.nested(C.IPVS_CMD_ATTR_DAEMON, () => {
    if (d.state !== undefined) w.u32(IPVS_DAEMON_ATTR_STATE, stateNum(d.state));
    if (d.iface !== undefined) w.str(IPVS_DAEMON_ATTR_MCAST_IFN, d.iface);
    if (d.syncid !== undefined) w.u32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncid);
    if (d.maxlen !== undefined) w.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxlen);
    if (group) w.bytes(group.af === 'inet' ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6, group.bytes);
    if (d.port !== undefined) w.u16(IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
    if (d.ttl !== undefined) w.u8(IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  });
  return w.finish();
}

/** DEL_DAEMON: only the state is needed. */
export function encodeDelDaemon(family: number, seq: number, state: SyncState): Buffer {
  const w = new NlWriter(family, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, C.IPVS_CMD_DEL_DAEMON);
  w.nested(C.IPVS_CMD_ATTR_DAEMON, () => w.u32(IPVS_DAEMON_ATTR_STATE, stateNum(state)));
  return w.finish();
}

/** GET_DAEMON has only a dumpit: without NLM_F_DUMP the kernel answers EOPNOTSUPP. */
export function encodeDumpDaemons(family: number, seq: number): Buffer {
  return new NlWriter(family, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq, C.IPVS_CMD_GET_DAEMON).finish();
}

/** One daemon from a GET_DAEMON reply (cmd NEW_DAEMON); pre-4.3 kernels send only state, ifn and id. */
export function decodeDaemon(msg: NlMessage): SyncDaemon {
  const g = decodeGenl(msg);
  if (g.cmd !== C.IPVS_CMD_NEW_DAEMON) throw protoErr(`daemon reply with cmd ${g.cmd}`);
  const nest = g.attrs.get(C.IPVS_CMD_ATTR_DAEMON);
  if (!nest) throw protoErr('daemon reply without IPVS_CMD_ATTR_DAEMON');
  const a = parseAttrs(nest);
  const u32 = (t: number, what: string): number => {
    const b = a.get(t);
    if (!b || b.length < 4) throw protoErr(`missing or short ${what}`);
    return b.readUInt32LE(0);
  };
  const stateN = u32(IPVS_DAEMON_ATTR_STATE, 'IPVS_DAEMON_ATTR_STATE');
  const state: SyncState | undefined = stateN === IP_VS_STATE_MASTER ? 'master' : stateN === IP_VS_STATE_BACKUP ? 'backup' : undefined;
  if (!state) throw protoErr(`unknown daemon state ${stateN}`);
  const ifn = a.get(IPVS_DAEMON_ATTR_MCAST_IFN);
  if (!ifn) throw protoErr('missing IPVS_DAEMON_ATTR_MCAST_IFN');
  const nul = ifn.indexOf(0);
  const iface = ifn.subarray(0, nul < 0 ? ifn.length : nul).toString('utf8');
  const maxlen = a.get(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  const port = a.get(IPVS_DAEMON_ATTR_MCAST_PORT);
  const ttl = a.get(IPVS_DAEMON_ATTR_MCAST_TTL);
  const g4 = a.get(IPVS_DAEMON_ATTR_MCAST_GROUP);
  const g6 = a.get(IPVS_DAEMON_ATTR_MCAST_GROUP6);
  const group = g6 && g6.length >= 16 ? formatIp('inet6', g6.subarray(0, 16)) : g4 && g4.length >= 4 ? formatIp('inet', g4.subarray(0, 4)) : undefined;
  return {
    state,
    iface,
    syncid: u32(IPVS_DAEMON_ATTR_SYNC_ID, 'IPVS_DAEMON_ATTR_SYNC_ID'),
    ...(maxlen && maxlen.length >= 2 ? { maxlen: maxlen.readUInt16LE(0) } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(port && port.length >= 2 ? { port: port.readUInt16LE(0) } : {}),
    ...(ttl && ttl.length >= 1 ? { ttl: ttl.readUInt8(0) } : {}),
  };
}
