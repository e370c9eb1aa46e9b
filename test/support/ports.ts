// Free loopback port allocation for tests: a per-jest-worker band below the kernel's ephemeral range.
import net from 'node:net';

const BAND = 1000;
const BANDS = 12;
// Below ip_local_port_range (32768+): a port bound to :0 and released is an ephemeral one, which any outgoing
// connection (another suite's check, in another worker) may take before the test's server binds it.
const FIRST = 20000;
// Workers of one jest run share a parent and differ by JEST_WORKER_ID; a second run on the machine has another parent.
const band = FIRST + ((process.ppid + Number(process.env['JEST_WORKER_ID'] ?? '1')) % BANDS) * BAND;
let cursor = Math.floor(Math.random() * BAND);
const handed = new Set<number>();

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A TCP port currently free on `host` (127.0.0.1 by default), never the same twice in one test file. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < BAND; i++) {
    const port = band + (cursor++ % BAND);
    if (handed.has(port)) continue;
    if (await canListen(port, host)) {
      handed.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${band}..${band + BAND - 1} on ${host}`);
}

/** A port on which nothing listens (allocated, then left closed). */
export const closedPort = freePort;
