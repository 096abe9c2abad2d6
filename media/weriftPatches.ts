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
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface SctpInternals {
  setState(state: number): void;
  timerReconfigCancel(): void;
  reconfigRequest: unknown;
  transmit(): Promise<void>;
  outboundQueue: { flags: number }[];
}

const PATCHED = Symbol.for('facegate.werift.sctpReconfigPatch');
const PATCHED_SACK_IMMEDIATELY = Symbol.for('facegate.werift.sctpSackImmediately');
/** RFC 7053 section 3: the I bit of a DATA chunk's flags. */
const SCTP_DATA_SACK_IMMEDIATELY = 0x08;

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

patchSctpReconfigTimer();
patchSctpSackImmediately();
