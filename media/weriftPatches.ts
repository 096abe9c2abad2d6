// Workarounds for werift 0.18 bugs that matter to a long-running server.
// Importing this module applies them once, process-wide.
//
// SCTP reconfig timer leak: when a data channel closes, werift sends an SCTP
// stream-reset (RE-CONFIG) request and arms a retransmission timer. Moving the
// association to CLOSED cancels timers T1-T3 but not that one, so after a peer
// connection closes the timer keeps re-sending into a dead transport with
// backoff for about two minutes, keeping the process (and a test run) alive
// and holding the association in memory. We cancel it and drop the pending
// request on CLOSED.
//
// No SACK-IMMEDIATELY: werift never sets the I bit (RFC 7053) on DATA chunks,
// so after the last packet of a burst the receiver (mediasoup's SCTP) holds
// its SACK for the delayed-ack timeout, 200 ms. werift only moves queued data
// channel messages into the association when a SACK comes, and a live
// session's close() waits for the acknowledgement of everything sent
// (weriftSctpDrain.ts): both sat out that timer. We set the I bit on the last
// chunk of each transmitted burst, so the receiver acknowledges it at once;
// receivers that do not know the bit ignore it.
//
// DTLS records before the DTLS transport starts: werift creates its DTLS
// socket only once its own ICE check list completes, but an ICE-lite peer
// (mediasoup) that is the DTLS client starts the handshake as soon as the
// first connectivity check reaches it. Its ClientHello can therefore reach
// werift's ICE connection while no DTLS socket listens, and werift drops it.
// The handshake then rests on the peer's retransmissions, and mediasoup 3.27
// sometimes sends none: its DtlsTransport::OnTimer() re-arms the timer only
// when DTLSv1_handle_timeout() did retransmit, so a timer that fires before
// OpenSSL's deadline (a worker descheduled on a loaded host) ends them. The
// server peer's sending transport (werift = DTLS server) then never connected
// (5 sessions in 200 with the worker paused at random for up to 40 ms). Like
// libwebrtc's cached ClientHello, we keep the first few DTLS datagrams an ICE
// connection receives before its DTLS transport starts and hand them to the
// new DTLS socket, in arrival order.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface SctpInternals {
  setState(state: number): void;
  timerReconfigCancel(): void;
  reconfigRequest: unknown;
  transmit(): Promise<void>;
  outboundQueue: { flags: number }[];
}

interface IceConnectionInternals {
  dataReceived(data: Buffer, component: number): void;
  [EARLY_DTLS]?: Buffer[];
  [DTLS_ATTACHED]?: true;
}

interface DtlsTransportInternals {
  start(): Promise<void>;
  state: string;
  iceTransport: { connection: IceConnectionInternals };
  dtls?: { udpOnMessage(data: Buffer): void };
}

const PATCHED = Symbol.for('facegate.werift.sctpReconfigPatch');
const PATCHED_SACK_IMMEDIATELY = Symbol.for('facegate.werift.sctpSackImmediately');
/** RFC 7053 section 3: the I bit of a DATA chunk's flags. */
const SCTP_DATA_SACK_IMMEDIATELY = 0x08;
const PATCHED_EARLY_DTLS = Symbol.for('facegate.werift.earlyDtlsRecords');
const EARLY_DTLS = Symbol('facegate.werift.earlyDtls');
const DTLS_ATTACHED = Symbol('facegate.werift.dtlsAttached');
/** A ClientHello and its retransmissions: more before the socket exists is not a handshake. */
const MAX_EARLY_DTLS = 8;

function patchSctpReconfigTimer(): void {
  const { SCTP } = require('werift/lib/sctp/src/sctp.js') as { SCTP: { prototype: SctpInternals } };
  const { SCTP_STATE } = require('werift/lib/sctp/src/const.js') as { SCTP_STATE: { CLOSED: number } };
  const proto = SCTP.prototype as SctpInternals & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.setState;
  proto.setState = function patchedSetState(this: SctpInternals, state: number): void {
    original.call(this, state);
    if (state === SCTP_STATE.CLOSED) {
      this.timerReconfigCancel();
      this.reconfigRequest = undefined;
    }
  };
  proto[PATCHED] = true;
}

function patchSctpSackImmediately(): void {
  const { SCTP } = require('werift/lib/sctp/src/sctp.js') as { SCTP: { prototype: SctpInternals } };
  const proto = SCTP.prototype as SctpInternals & { [PATCHED_SACK_IMMEDIATELY]?: true };
  if (proto[PATCHED_SACK_IMMEDIATELY]) return;
  const original = proto.transmit;
  // transmit() sends the whole outbound queue; its last chunk ends the burst.
  proto.transmit = function patchedTransmit(this: SctpInternals): Promise<void> {
    const last = this.outboundQueue[this.outboundQueue.length - 1];
    if (last !== undefined) last.flags |= SCTP_DATA_SACK_IMMEDIATELY;
    return original.call(this);
  };
  proto[PATCHED_SACK_IMMEDIATELY] = true;
}

/** RFC 7983 demultiplexing: a first byte in 20..63 is DTLS. */
function isDtls(data: Buffer): boolean {
  const first = data[0];
  return first !== undefined && first >= 20 && first <= 63;
}

function patchEarlyDtlsRecords(): void {
  const { Connection } = require('werift/lib/ice/src/ice.js') as { Connection: { prototype: IceConnectionInternals } };
  const { RTCDtlsTransport } = require('werift/lib/webrtc/src/transport/dtls.js') as {
    RTCDtlsTransport: { prototype: DtlsTransportInternals };
  };
  const iceProto = Connection.prototype as IceConnectionInternals & { [PATCHED_EARLY_DTLS]?: true };
  if (iceProto[PATCHED_EARLY_DTLS]) return;
  const dataReceived = iceProto.dataReceived;
  iceProto.dataReceived = function patchedDataReceived(this: IceConnectionInternals, data: Buffer, component: number): void {
    if (this[DTLS_ATTACHED] !== true && isDtls(data)) {
      const early = (this[EARLY_DTLS] ??= []);
      if (early.length < MAX_EARLY_DTLS) early.push(data);
    }
    dataReceived.call(this, data, component);
  };
  const start = RTCDtlsTransport.prototype.start;
  RTCDtlsTransport.prototype.start = function patchedStart(this: DtlsTransportInternals): Promise<void> {
    // start() creates the DTLS socket and subscribes to it before its first await.
    const started = start.call(this);
    const connection = this.iceTransport.connection;
    connection[DTLS_ATTACHED] = true;
    const early = connection[EARLY_DTLS];
    connection[EARLY_DTLS] = undefined;
    const socket = this.dtls;
    if (early !== undefined && early.length > 0 && socket !== undefined) {
      queueMicrotask(() => {
        if (this.dtls !== socket || this.state === 'closed') return;
        for (const data of early) socket.udpOnMessage(data);
      });
    }
    return started;
  };
  iceProto[PATCHED_EARLY_DTLS] = true;
}

patchSctpReconfigTimer();
patchSctpSackImmediately();
patchEarlyDtlsRecords();
