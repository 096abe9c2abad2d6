// Node-to-node seam for state that cannot leave its process (a liveness
// engine session: timers, observation history): which node owns a session,
// whether that node is still alive, and one request/reply call to it. On
// Redis (RedisNodeLink) when nodes share REDIS_URL; a single node with
// in-memory state owns every session and needs no link.

/** A request as the serving node sees it: a small JSON header and optional bytes (a frame). */
export interface NodeRequest {
  readonly header: unknown;
  readonly body: Uint8Array | null;
  /** The node that sent it. */
  readonly from: string;
}

/** How a request ended: the handler's value, or why there is none. */
export type NodeReply =
  | { readonly kind: 'reply'; readonly value: unknown }
  /** The handler threw; the error's code, message and details as the serving node saw them. */
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> | null }
  /** Nobody listens on that node's channel (it stopped or its connection dropped). */
  | { readonly kind: 'gone' }
  /** No reply within the time limit. */
  | { readonly kind: 'timeout' };

export type NodeRequestHandler = (request: NodeRequest) => Promise<unknown>;

export interface NodeLink {
  /** This node's id (unique per process start). */
  readonly nodeId: string;
  /**
   * Makes this node the owner of `key` unless a node already is; returns the
   * owner's id. The claim lasts ttlMs (the session's remaining lifetime).
   */
  claim(key: string, ttlMs: number): Promise<string>;
  /** The current owner's id, or null when nobody claimed `key` (or the claim expired). */
  owner(key: string): Promise<string | null>;
  /** Whether the node's lease (its heartbeat) is current. */
  isAlive(nodeId: string): Promise<boolean>;
  /** Sends one request to `nodeId`; never rejects for a missing or slow peer (see NodeReply). */
  request(nodeId: string, header: unknown, body: Uint8Array | null, timeoutMs: number): Promise<NodeReply>;
  /** Sets the handler for requests to this node (one; a later call replaces it). */
  serve(handler: NodeRequestHandler): void;
  /** Stops serving, ends the lease (peers see this node gone at once) and answers pending requests 'gone'; idempotent. */
  close(): Promise<void>;
}
