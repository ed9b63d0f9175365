// Ports for the lab's listeners. A port the OS hands out for `listen(0)` comes from the
// ephemeral range, which outgoing connections use too: between "free a moment ago" and the
// daemon's bind, any client connection on the machine can take it (seen as EADDRINUSE when
// tests run in parallel). Ports below the ephemeral range are only taken by listeners.
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_000; // Linux's default ephemeral range starts at 32768

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that is free now, chosen below the ephemeral range. */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 200 tries`);
}
