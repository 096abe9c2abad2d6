// A real webhook receiver for tests: an HTTP server on loopback, port 0,
// that records every request (body, signature and event headers) and answers
// with a fixed status (and Location, for redirect tests).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  readonly body: string;
  readonly sig: string;
  readonly event: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly got: ReceivedHook[];
  close(): Promise<void>;
}

export async function webhookReceiver(o: { status?: number; location?: string } = {}): Promise<WebhookReceiver> {
  const got: ReceivedHook[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ body, sig: String(req.headers['x-facegate-signature']), event: String(req.headers['x-facegate-event']) });
      res.writeHead(o.status ?? 200, o.location ? { location: o.location } : {});
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    got,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
