// Public surface of the media layer for the composition root and the
// liveness engine: the worker pool, the frame sink seam and the message types.
export { MediaWorkerPool, type MediaWorkerPoolOptions, type CreateSessionOptions } from './MediaWorkerPool.ts';
export type { LiveSession } from './LiveSession.ts';
export type { FrameSink, FrameSinkFactory, LiveSessionHandle } from './FrameSink.ts';
export type { DecodedFrame, SessionEndReason, VideoCodec } from './types.ts';
export { ClientMessageSchema, ServerMessageSchema, type ClientMessage, type ServerMessage } from '../common/protocol/dataChannel.ts';
