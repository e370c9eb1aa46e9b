// Every netlink, generic-netlink and IPVS constant the codec uses, named as in the kernel headers.

/** NETLINK_GENERIC protocol number for socket(AF_NETLINK, SOCK_RAW, ...). */
export const NETLINK_GENERIC = 16;

/** nlmsghdr sizes and alignment. */
export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;
export const NLA_ALIGNTO = 4;

/** nlmsg_type values below NLMSG_MIN_TYPE. */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** nlmsg_flags. */
export const NLM_F_REQUEST = 0x0001;
export const NLM_F_MULTI = 0x0002;
export const NLM_F_ACK = 0x0004;
export const NLM_F_ECHO = 0x0008;
export const NLM_F_DUMP_INTR = 0x0010;
export const NLM_F_ROOT = 0x0100;
export const NLM_F_MATCH = 0x0200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** In NLMSG_ERROR replies: the echoed request was capped / extended-ack TLVs follow. */
export const NLM_F_CAPPED = 0x0100;
export const NLM_F_ACK_TLVS = 0x0200;

/** nla_type bits. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

/** The generic netlink controller. */
export const GENL_ID_CTRL = 16;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;

/** IPVS family. */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_*. */
export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

/** IPVS_CMD_ATTR_* (top level). */
export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

/** IPVS_INFO_ATTR_* (top level of the GET_INFO reply). */
export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

/** IPVS_SVC_ATTR_*. */
export const IPVS_SVC_ATTR_AF = 1;
export const IPVS_SVC_ATTR_PROTOCOL = 2;
export const IPVS_SVC_ATTR_ADDR = 3;
export const IPVS_SVC_ATTR_PORT = 4;
export const IPVS_SVC_ATTR_FWMARK = 5;
export const IPVS_SVC_ATTR_SCHED_NAME = 6;
export const IPVS_SVC_ATTR_FLAGS = 7;
export const IPVS_SVC_ATTR_TIMEOUT = 8;
export const IPVS_SVC_ATTR_NETMASK = 9;
export const IPVS_SVC_ATTR_STATS = 10;
export const IPVS_SVC_ATTR_PE_NAME = 11;
export const IPVS_SVC_ATTR_STATS64 = 12;

/** IPVS_DEST_ATTR_*. */
export const IPVS_DEST_ATTR_ADDR = 1;
export const IPVS_DEST_ATTR_PORT = 2;
export const IPVS_DEST_ATTR_FWD_METHOD = 3;
export const IPVS_DEST_ATTR_WEIGHT = 4;
export const IPVS_DEST_ATTR_U_THRESH = 5;
export const IPVS_DEST_ATTR_L_THRESH = 6;
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7;
export const IPVS_DEST_ATTR_INACT_CONNS = 8;
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9;
export const IPVS_DEST_ATTR_STATS = 10;
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11;
export const IPVS_DEST_ATTR_STATS64 = 12;
export const IPVS_DEST_ATTR_TUN_TYPE = 13;
export const IPVS_DEST_ATTR_TUN_PORT = 14;
export const IPVS_DEST_ATTR_TUN_FLAGS = 15;

/** IPVS_STATS_ATTR_*. */
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;
export const IPVS_STATS_ATTR_PAD = 11;

/** Address families. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** IP protocols. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** IP_VS_CONN_F_* forwarding methods. */
export const IP_VS_CONN_F_FWD_MASK = 0x0007;
export const IP_VS_CONN_F_MASQ = 0;
export const IP_VS_CONN_F_LOCALNODE = 1;
export const IP_VS_CONN_F_TUNNEL = 2;
export const IP_VS_CONN_F_DROUTE = 3;
export const IP_VS_CONN_F_BYPASS = 4;
