import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import '../../media/weriftPatches.ts';

const require = createRequire(import.meta.url);
const { SCTP } = require('werift/lib/sctp/src/sctp.js') as { SCTP: { prototype: object } };
const { DataChunk } = require('werift/lib/sctp/src/chunk.js') as { DataChunk: new (flags?: number) => { flags: number; userData: Buffer; bookSize: number; tsn: number } };

/** An SCTP association with just enough state for transmit(); sendChunk records what would go on the wire. */
function association(queued: number): { sctp: { transmit(): Promise<void> }; wire: { flags: number }[] } {
  const wire: { flags: number }[] = [];
  const sctp = Object.assign(Object.create(SCTP.prototype) as { transmit(): Promise<void> }, {
    forwardTsnChunk: undefined,
    fastRecoveryExit: undefined,
    fastRecoveryTransmit: false,
    flightSize: 0,
    cwnd: 1 << 20,
    sentQueue: [],
    outboundQueue: Array.from({ length: queued }, (_, i) => {
      const c = new DataChunk(0x03);
      c.tsn = i;
      c.userData = Buffer.from('x');
      c.bookSize = 1;
      return c;
    }),
    timer3Handle: 1, // a running T3 timer: transmit() leaves it alone
    sendChunk: async (chunk: { flags: number }) => void wire.push({ flags: chunk.flags }),
  });
  return { sctp, wire };
}

test('werift SCTP transmit() sets SACK-IMMEDIATELY on the last DATA chunk of a burst only (regression: 200 ms delayed SACK)', async () => {
  const { sctp, wire } = association(3);
  await sctp.transmit();
  assert.deepEqual(
    wire.map((c) => c.flags),
    [0x03, 0x03, 0x0b],
  );
});

test('werift SCTP transmit() with nothing queued sends nothing', async () => {
  const { sctp, wire } = association(0);
  await sctp.transmit();
  assert.deepEqual(wire, []);
});
