// Parity harness, the reals (guest, inside the reals namespace): serves servers.json and follows a state file.
//   node test/parity/server.mjs SERVERS.json STATE.json
// STATE.json maps "addr|port" → closed | blackhole | wrong (absent = up); re-read on SIGHUP, then
// "ready" is written to stdout. closed = no listener (RST); wrong = HTTP 200 with a body matching no
// receive string (other kinds: closed); blackhole keeps listening (run.sh drops the packets with tc).
// Kinds: http, https, smtp (a minimal SMTP dialogue), tcp (greets and closes), none (no listener).
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp } from 'node:net';
import { readFileSync } from 'node:fs';

const [serversFile, stateFile, certFile, keyFile] = process.argv.slice(2);
const servers = JSON.parse(readFileSync(serversFile, 'utf8'));
const tls = certFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : undefined;
const live = new Map(); // "addr|port" → net.Server
let state = {};

function handler(s) {
  return (req, res) => {
    const body = state[`${s.addr}|${s.port}`] === 'wrong' ? 'parity: wrong content\n' : s.paths[req.url];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html', connection: 'close' });
    res.end(body ?? 'not here\n');
  };
}

function make(s) {
  if (s.kind === 'http') return createHttp(handler(s));
  if (s.kind === 'https') return createHttps(tls, handler(s));
  if (s.kind === 'smtp') {
    // Enough SMTP for a health check (Net::SMTP's and ours): greeting, 250 to each command, 221 to QUIT.
    return createTcp((c) => {
      c.on('error', () => {});
      c.setEncoding('utf8');
      let buf = '';
      c.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (/^quit\b/i.test(line)) return void c.end('221 parity bye\r\n');
          c.write(/^ehlo\b/i.test(line) ? '250-parity\r\n250 HELP\r\n' : '250 parity ok\r\n');
        }
      });
      c.write('220 parity ESMTP ready\r\n');
    });
  }
  // Other TCP services: accept, greet like most line protocols, close at once.
  return createTcp((c) => {
    c.on('error', () => {});
    c.end('220 parity ready\r\n');
  });
}

async function apply() {
  state = JSON.parse(readFileSync(stateFile, 'utf8'));
  for (const s of servers) {
    if (s.port === 0) continue;
    const k = `${s.addr}|${s.port}`;
    const m = state[k];
    const want = m === 'closed' || (m === 'wrong' && s.kind !== 'http' && s.kind !== 'https') ? false : true;
    const srv = live.get(k);
    if (want && !srv) {
      const n = make(s);
      await new Promise((ok, ko) => {
        n.once('error', ko);
        n.listen({ host: s.addr, port: s.port }, ok);
      });
      live.set(k, n);
    } else if (!want && srv) {
      live.delete(k);
      srv.close();
      srv.closeAllConnections?.();
    }
  }
  process.stdout.write('ready\n');
}

process.on('SIGHUP', () => void apply().catch((e) => process.stderr.write(`server: ${e.message}\n`)));
process.on('SIGTERM', () => process.exit(0));
await apply();
setInterval(() => {}, 1 << 30);
