// The server peer's sending transport with a real mediasoup worker, where
// werift is the DTLS server and mediasoup the client that starts the
// handshake as soon as ICE connects. The race that stalled it (issue #4
// follow-up) is forced here: werift's DTLS transport starts only after
// mediasoup's first ClientHello has reached werift's ICE connection, and every
// later cookie-less ClientHello (mediasoup's retransmissions) is dropped, as
// when mediasoup's retransmission timer dies. Only the first one can complete
// the handshake.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import * as mediasoup from 'mediasoup';
import type * as ms from 'mediasoup/types';
import { ROUTER_MEDIA_CODECS } from '../../media/MediaWorkerPool.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';

const require = createRequire(import.meta.url);

interface IceConnection {
  dataReceived(data: Buffer, component: number): void;
}
interface DtlsTransport {
  start(): Promise<void>;
  role: string;
  iceTransport: { role: string; connection: IceConnection };
}

const { Connection } = require('werift/lib/ice/src/ice.js') as { Connection: { prototype: IceConnection } };
const { RTCDtlsTransport } = require('werift/lib/webrtc/src/transport/dtls.js') as { RTCDtlsTransport: { prototype: DtlsTransport } };

let worker: ms.Worker;
let router: ms.Router;
let webRtcServer: ms.WebRtcServer;

before(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'warn' });
  webRtcServer = await worker.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
  router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
});
after(() => worker.close());

/** A DTLS datagram whose first record is a ClientHello with an empty cookie (RFC 6347 4.2.1). */
function isFirstClientHello(data: Buffer): boolean {
  // record header 13 bytes, handshake header 12, client_version 2, random 32, then session_id<0..32>, cookie<0..255>
  if (data.length < 61 || data[0] !== 22 || data[13] !== 1) return false;
  const sessionIdLength = data[59] ?? 0;
  return data[60 + sessionIdLength] === 0;
}

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

test('ServerPeer data channel opens when mediasoup\'s first ClientHello reaches werift before its DTLS transport starts and is never retransmitted (regression: DTLS stall)', async (t) => {
  const firstHelloSeen = new WeakSet<IceConnection>();
  let retransmissionsDropped = 0;
  let delayedStarts = 0;
  const dataReceived = Connection.prototype.dataReceived;
  const start = RTCDtlsTransport.prototype.start;
  Connection.prototype.dataReceived = function (this: IceConnection, data: Buffer, component: number): void {
    if (isFirstClientHello(data)) {
      if (firstHelloSeen.has(this)) {
        retransmissionsDropped++;
        return;
      }
      firstHelloSeen.add(this);
    }
    dataReceived.call(this, data, component);
  };
  RTCDtlsTransport.prototype.start = async function (this: DtlsTransport): Promise<void> {
    const server = this.role === 'server' || (this.role === 'auto' && this.iceTransport.role === 'controlling');
    if (server) {
      delayedStarts++;
      await until(() => firstHelloSeen.has(this.iceTransport.connection), 5000);
    }
    return start.call(this);
  };
  t.after(() => {
    Connection.prototype.dataReceived = dataReceived;
    RTCDtlsTransport.prototype.start = start;
  });

  const transports: ms.WebRtcTransport[] = [];
  const onTransport = (tr: ms.Transport) => void transports.push(tr as ms.WebRtcTransport);
  router.observer.on('newtransport', onTransport);
  t.after(() => router.observer.off('newtransport', onTransport));

  const peer = await ServerPeer.create({ router, webRtcServer });
  t.after(() => peer.close());
  const { channel } = await peer.produceData('h8');
  const opened = await until(() => channel.readyState === 'open', 5000);
  const send = transports[1];
  t.diagnostic(`delayed DTLS starts ${delayedStarts}, retransmitted ClientHellos dropped ${retransmissionsDropped}, mediasoup dtls ${send?.dtlsState}`);
  assert.equal(delayedStarts, 1, 'the sending transport (werift = DTLS server) started late');
  assert.ok(opened, 'the server data channel opened');
  assert.equal(send?.dtlsState, 'connected');
  assert.equal(peer.toJSON().sendState, 'connected');
});
