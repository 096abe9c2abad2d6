// Public surface of the signaling layer for the composition root (src/main):
// attach the namespace to a socket.io Server, mount the SDK/demo router, and
// authorize session tokens (HMAC tokens until the session service provides
// its own SessionAuthorizer).
export { attachSignaling, type AttachSignalingOptions, type SignalingAttachment } from './attachSignaling.ts';
export { createSdkRouter, type SdkRouterOptions } from './sdkRouter.ts';
export { HmacSessionAuthorizer, mintSessionToken, type MintSessionTokenOptions } from './HmacSessionAuthorizer.ts';
export type { AuthorizedSession, JoinPreferences, SessionAuthorizer } from './SessionAuthorizer.ts';
export { SIGNALING_NAMESPACE, type SignalingRequest, type SignalingNotification, type IceServer } from '../common/protocol/signaling.ts';
