// Test helper: a socket.io signaling client that joins a live session with a
// token and speaks the protocol for an in-process publisher
// (SyntheticPublisher's PublisherSignaling), heartbeating until stopped.
import { io as connect, type Socket } from 'socket.io-client';
import type { PublisherSignaling } from '../support/SyntheticPublisher.ts';
import { REQUEST_EVENT, SIGNALING_NAMESPACE, type SignalingResponse } from '../../common/protocol/signaling.ts';

/** A socket.io signaling client that speaks the protocol for an in-node publisher. */
export async function joinSignaling(url: string, token: string): Promise<{ socket: Socket; signaling: PublisherSignaling; stop: () => void }> {
  const socket = connect(new URL(SIGNALING_NAMESPACE, url).toString(), { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const call = async <T,>(name: string, data: unknown): Promise<T> => {
    const r = await new Promise<SignalingResponse>((resolve, reject) => {
      socket.timeout(10_000).emit(REQUEST_EVENT, { name, data }, (err: Error | null, res: SignalingResponse) => (err ? reject(err) : resolve(res)));
    });
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.data as T;
  };
  let joined: { routerRtpCapabilities: unknown; heartbeatIntervalMs: number };
  try {
    joined = await call('join', { token });
  } catch (e) {
    socket.disconnect();
    throw e;
  }
  const beat = setInterval(() => void call('heartbeat', {}).catch(() => undefined), Math.max(200, joined.heartbeatIntervalMs / 2));
  return {
    socket,
    stop: () => {
      clearInterval(beat);
      socket.disconnect();
    },
    signaling: {
      rtpCapabilities: joined.routerRtpCapabilities,
      createTransport: (direction) => call('createTransport', { direction }),
      connectTransport: async (transportId, dtlsParameters) => {
        await call('connectTransport', { transportId, dtlsParameters });
      },
      produce: (transportId, kind, rtpParameters) => call('produce', { transportId, kind, rtpParameters }),
      produceData: (transportId, sctpStreamParameters, label, protocol) => call('produceData', { transportId, sctpStreamParameters, label, protocol }),
      consumeData: (transportId) => call('consumeData', { transportId }),
    },
  };
}
