// Issue 12 item 6: a busy RTC_PORT fails with a message naming the port and
// the variable, not only "could not start a media worker". A real mediasoup
// worker against a real socket holding the port.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { MediaWorkerPool } from '../../media/index.ts';

test('MediaWorkerPool.create() on a busy RTC_PORT names the port and RTC_PORT', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = (sock.address() as AddressInfo).port;
  try {
    await assert.rejects(
      MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: port, frameRate: 10, logger: pino({ level: 'silent' }) }),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(e.message, /RTC_PORT/);
        return true;
      },
    );
  } finally {
    sock.close();
  }
});
