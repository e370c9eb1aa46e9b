// Free loopback port allocation for tests (bind :0, read the port, release it).
import net from 'node:net';

const handed = new Set<number>();

/** A TCP port currently free on `host` (127.0.0.1 by default), never the same twice in one process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
      });
    });
    if (!handed.has(port)) {
      handed.add(port);
      return port;
    }
  }
}

/** A port on which nothing listens (allocated, then left closed). */
export const closedPort = freePort;
