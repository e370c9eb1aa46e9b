// The server farm: one process serving healthy HTTP on thousands of loopback addresses, black holes on command.
//
// Protocol (JSON lines): argv[2] is a file with {"addrs":["127.20.0.1",...],"port":18480}. Prints
// {"ready":true,"listening":n} when every listener is bound. Commands on stdin:
//   {"cmd":"blackhole","addrs":[...]}  -> {"blackhole":k,"at":<epoch ms>}  (recorded instant)
//   {"cmd":"stats"}                    -> {"requests":r,"blackholed":b,"at":<epoch ms>}
// Raw sockets rather than node:http so a black hole answers nothing even on a reused connection.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const RESPONSE = Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOK\n');

/** Epoch milliseconds with sub-millisecond resolution, comparable with the recorders' clocks. */
const epochMs = (): number => performance.timeOrigin + performance.now();

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { addrs: string[]; port: number };
const holes = new Set<string>();
let requests = 0;
let blackholed = 0;

function onConnection(sock: net.Socket): void {
  let buf = '';
  sock.on('error', () => undefined);
  sock.setNoDelay(true);
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    if (!buf.includes('\r\n\r\n')) return;
    buf = '';
    requests++;
    const local = sock.localAddress ?? '';
    if (holes.has(local)) {
      // Accept, read, never answer: the checker has to time out.
      blackholed++;
      sock.pause();
      return;
    }
    sock.end(RESPONSE);
  });
}

async function listenAll(): Promise<number> {
  let bound = 0;
  // Bind in batches so 10,000 listen() calls do not all wait on one tick.
  const batch = 500;
  for (let i = 0; i < spec.addrs.length; i += batch) {
    await Promise.all(
      spec.addrs.slice(i, i + batch).map(
        (host) =>
          new Promise<void>((resolve, reject) => {
            const srv = net.createServer({ noDelay: true }, onConnection);
            srv.once('error', reject);
            srv.listen({ host, port: spec.port, backlog: 64 }, () => {
              bound++;
              resolve();
            });
          }),
      ),
    );
  }
  return bound;
}

function reply(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

listenAll().then(
  (n) => {
    reply({ ready: true, listening: n, at: epochMs() });
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as { cmd: string; addrs?: string[] };
      if (msg.cmd === 'blackhole') {
        for (const a of msg.addrs ?? []) holes.add(a);
        reply({ blackhole: holes.size, at: epochMs() });
      } else if (msg.cmd === 'stats') {
        reply({ requests, blackholed, at: epochMs() });
      } else reply({ error: `unknown command ${msg.cmd}` });
    });
    rl.on('close', () => process.exit(0));
  },
  (err: unknown) => {
    reply({ ready: false, error: String(err) });
    process.exit(1);
  },
);
