import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from './driver.js';

/*
 * The generator's request ceiling: an in-process HTTP server that answers every request at once
 * (a JSON-RPC result), driven by the target's own kind of request at a fixed load. The sink runs
 * in the generator's process and shares its CPU, so the figure is a lower bound of what the
 * generator alone could send.
 */

const ANSWER = '{"jsonrpc":"2.0","id":1,"result":"0x0000000000000000000000000000000000000000000000000000000000000000"}';

export interface Sink {
  readonly url: string;
  /** Requests answered so far. */
  readonly answered: () => number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  let answered = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      answered++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    answered: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Requests per second that `makeJob`'s requests reach with `inFlight` outstanding, over `ms`. */
export async function measureRequestRate(makeJob: () => Job, ms = 1_500, inFlight = 64): Promise<number> {
  const start = performance.now();
  let done = 0;
  const loop = async () => {
    while (performance.now() - start < ms) {
      await makeJob().run();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return (done / (performance.now() - start)) * 1000;
}
