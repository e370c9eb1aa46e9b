// The HA test's client (runs in the client namespace): N long-lived keep-alive HTTP connections to the
// VIP, each asking for a page every 2 s, plus a new connection every 500 ms; every request's start,
// end and outcome is recorded. Raw sockets, not http.Agent: an Agent would silently reconnect, and a
// reconnect is exactly what must be seen (a reset connection is a failure, not a retry).
//
//   node client.mjs run VIP PORT N OUT          until SIGTERM; OUT.ready appears once every long-lived
//                                               connection has answered 3 requests (the kernel syncs a
//                                               connection at its 3rd packet); OUT.ports lists their
//                                               local ports; OUT.ok holds the start time of the
//                                               latest new connection that succeeded; on SIGTERM the record goes to OUT (JSON).
//   node client.mjs report OUT T_FAIL T_BACK BOUND_S SYNCED_PORTS_FILE
//                                               prints one JSON line of figures (see report()).
import console from 'node:console';
import fs from 'node:fs';
import net from 'node:net';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

// Paced for the emulated guest on a shared machine (a request costs milliseconds of emulated CPU on
// the client and the reals); HA_EVERY_MS / HA_NEW_EVERY_MS override.
const EVERY_MS = Number(process.env.HA_EVERY_MS ?? 2000); // a request on each long-lived connection
const NEW_EVERY_MS = Number(process.env.HA_NEW_EVERY_MS ?? 500); // a new connection
// A new connection that has not answered by then failed. Not shorter: in a starved guest the client
// itself can be descheduled for seconds, and its timer would fire before it reads a waiting answer.
const NEW_TIMEOUT_MS = Number(process.env.HA_NEW_TIMEOUT_MS ?? 10000);
// A long-lived request is only late until then: TCP retransmits with back-off (0.2, 0.6, 1.4 … 51,
// 102 s after the send), so after a gap of G s the next retransmission can come at about 2G.
const KEEP_TIMEOUT_MS = 180000;
const SERVER = /This is fake WWW server (\d+)/;

const now = () => Date.now() / 1000;

// One HTTP exchange on SOCKET; calls done(err, server) once the response (Content-Length) is read.
function exchange(socket, host, keepAlive, timeoutMs, done) {
  let buf = '';
  let finished = false;
  const finish = (err, srv) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('error', onEnd);
    socket.removeListener('close', onEnd);
    done(err, srv);
  };
  const onData = (chunk) => {
    buf += chunk.toString('latin1');
    const head = buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const m = /content-length:\s*(\d+)/i.exec(buf.slice(0, head));
    if (!m || buf.length - head - 4 < Number(m[1])) return;
    const s = SERVER.exec(buf);
    finish(buf.startsWith('HTTP/1.1 200') && s ? null : new Error('bad answer'), s ? Number(s[1]) : 0);
  };
  const onEnd = (err) => finish(err instanceof Error ? err : new Error('closed'));
  const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);
  socket.on('data', onData);
  socket.on('error', onEnd);
  socket.on('close', onEnd);
  socket.write(`GET /index.html HTTP/1.1\r\nHost: ${host}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`);
}

function run(host, port, n, out) {
  const conns = [];
  const attempts = [];
  let readyWritten = false;
  const checkReady = () => {
    if (readyWritten || conns.length < n || conns.some((c) => c.ok < 3)) return;
    readyWritten = true;
    fs.writeFileSync(`${out}.ports`, conns.map((c) => c.port).join('\n') + '\n');
    fs.writeFileSync(`${out}.ready`, '');
  };
  for (let i = 0; i < n; i++) {
    const c = { id: i, port: 0, ok: 0, reqs: [], broken: null };
    conns.push(c);
    const socket = net.connect({ host, port }, () => {
      c.port = socket.localPort;
      const next = () => {
        const r = { s: now(), e: 0, ok: false, srv: 0 };
        c.reqs.push(r);
        exchange(socket, host, true, KEEP_TIMEOUT_MS, (err, srv) => {
          r.e = now();
          if (err) {
            r.err = err.code ?? err.message;
            c.broken = { t: r.e, err: r.err };
            socket.destroy();
            return;
          }
          r.ok = true;
          r.srv = srv;
          c.ok++;
          checkReady();
          setTimeout(next, EVERY_MS);
        });
      };
      next();
    });
    socket.on('error', (err) => {
      if (!c.broken) c.broken = { t: now(), err: err.code ?? err.message };
    });
  }
  const tick = setInterval(() => {
    const a = { s: now(), e: 0, ok: false, srv: 0 };
    attempts.push(a);
    const socket = net.connect({ host, port });
    socket.on('error', () => {}); // reported through exchange() or the timeout
    exchange(socket, host, false, NEW_TIMEOUT_MS, (err, srv) => {
      a.e = now();
      a.ok = !err;
      a.srv = srv;
      if (err) a.err = err.code ?? err.message;
      else fs.writeFileSync(`${out}.ok`, `${a.s}\n`); // ha.sh polls it (client_ok_since)
      socket.destroy();
    });
  }, NEW_EVERY_MS);
  process.on('SIGTERM', () => {
    clearInterval(tick);
    fs.writeFileSync(out, JSON.stringify({ conns, attempts }));
    process.exit(0);
  });
}

// Figures for one failover: gap (s) from T_FAIL until the first new connection started after the
// outage began succeeded; failures outside the gap (new connections and long-lived requests whose lifetime does not
// overlap [T_FAIL, recovery]); established connections synced (their port in SYNCED_PORTS_FILE) and
// surviving (no error, and answered after the recovery); the longest outage after T_BACK (failback).
function report(file, tFail, tBack, bound, syncedFile) {
  const { conns, attempts } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const synced = new Set(fs.readFileSync(syncedFile, 'utf8').split(/\s+/).filter(Boolean).map(Number));
  const done = attempts.filter((a) => a.e > 0);
  // The cut takes effect some time after T_FAIL is read (an `ip link` exec in a loaded guest), so
  // connections started just after it may still succeed through the old director: the recovery is
  // the first success started after the first failure that ended after T_FAIL.
  const firstFail = done.find((a) => !a.ok && a.e >= tFail);
  const first = done.find((a) => a.ok && (firstFail ? a.s > firstFail.s : a.s >= tFail));
  const recovered = first ? first.e : Infinity;
  const inGap = (s, e) => e >= tFail && s <= recovered;
  const failedNew = done.filter((a) => !a.ok && !inGap(a.s, a.e) && !(tBack > 0 && a.s >= tBack));
  const failedKeep = conns.flatMap((c) => c.reqs.filter((r) => r.e > 0 && !r.ok && !inGap(r.s, r.e)));
  // Failback: the longest run of failed new connections after T_BACK, from its first start to the
  // next success's end (0 when none failed).
  let failback = 0;
  let runStart = null;
  for (const a of done.filter((x) => tBack > 0 && x.s >= tBack)) {
    if (!a.ok && runStart === null) runStart = a.s;
    if (a.ok && runStart !== null) {
      failback = Math.max(failback, a.e - runStart);
      runStart = null;
    }
  }
  if (runStart !== null) failback = Infinity;
  const survived = conns.filter((c) => !c.broken && c.reqs.some((r) => r.ok && r.s > recovered));
  const result = {
    gap: first ? Number((first.e - tFail).toFixed(2)) : null,
    bound,
    n: conns.length,
    synced: conns.filter((c) => synced.has(c.port)).length,
    survived: survived.length,
    reset: conns.filter((c) => c.broken).length,
    resetErrors: [...new Set(conns.filter((c) => c.broken).map((c) => c.broken.err))].join(','),
    newConnections: done.length,
    failedNewInGap: done.filter((a) => !a.ok && inGap(a.s, a.e)).length,
    failedOutsideGap: failedNew.length + failedKeep.length,
    failbackOutage: tBack > 0 ? (Number.isFinite(failback) ? Number(failback.toFixed(2)) : null) : undefined,
    servers: [...new Set(done.filter((a) => a.ok).map((a) => a.srv))].sort().join(','),
  };
  console.log(JSON.stringify(result));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'run') run(args[0], Number(args[1]), Number(args[2]), args[3]);
else if (cmd === 'report') report(args[0], Number(args[1]), Number(args[2]), Number(args[3]), args[4]);
else {
  console.error('usage: client.mjs run VIP PORT N OUT | report OUT T_FAIL T_BACK BOUND_S SYNCED_PORTS_FILE');
  process.exit(2);
}
