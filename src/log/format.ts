// ldirectord's log line format: Perl's scalar localtime and the "[time|CFGNAME|pid] msg" prefix.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Perl's `scalar localtime`: "Wed Nov 25 13:29:45 2026", day space-padded ("Wed Nov  5 …"). */
export function ctime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getDate()).padStart(2, ' ');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
}

/** Upstream chomps a message once; embedded newlines stay (they become unprefixed lines). */
export function chomp(msg: string): string {
  return msg.endsWith('\n') ? msg.slice(0, -1) : msg;
}

/** A log-file line: "[<ctime>|<CFGNAME>|<pid>] <message>\n". */
export function fileLine(ms: number, cfgName: string, pid: number, msg: string): string {
  return `[${ctime(ms)}|${cfgName}|${pid}] ${chomp(msg)}\n`;
}

/** A supervised-mode stdout line: "[<ctime>] <message>\n". */
export function supervisedLine(ms: number, msg: string): string {
  return `[${ctime(ms)}] ${chomp(msg)}\n`;
}

/**
 * Control characters (but TAB and the newline) written as \xNN: a config's or a real server's bytes
 * never reach the log raw (issue 13 item 15). Bytes that are not UTF-8 were already decoded to U+FFFD.
 */
export function printable(msg: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return msg.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
