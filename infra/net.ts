import net from 'node:net';

/** A TCP port that was free a moment ago on the loopback interface (tests, the demo). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A free loopback TCP port in [min, max], tried at random. The Temporal server stores its services'
 * membership ports in a PostgreSQL smallint, so those must stay below 32768, under the range the
 * kernel hands out for port 0 (32768-60999 on Linux).
 */
export async function freePortIn(min: number, max: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${min} and ${max}`);
}
