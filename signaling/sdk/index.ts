// Public entry of the facegate browser SDK (bundled to /sdk/facegate.js,
// global `Facegate` when loaded with a <script> tag).
export { FacegateClient, FacegateError } from './FacegateClient.ts';
export { flashColorAt, flashScheduleOf } from './flashSchedule.ts';
export type { FlashSchedule, FlashStep } from './flashSchedule.ts';
export type {
  ClientState,
  FacegateClientEvents,
  FacegateClientOptions,
  ProgressMessage,
  PromptMessage,
  ResultMessage,
} from './FacegateClient.ts';
export type { ClientMessage, ServerMessage } from '../../common/protocol/dataChannel.ts';
