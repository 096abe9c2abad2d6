// The seam through which signaling checks a client's session token. The
// service layer (src/) implements it against its session store; signaling
// only needs to know which session a token opens, or that it opens none.

export interface AuthorizedSession {
  readonly sessionId: string;
  readonly clientId?: string;
}

/** What the client asked for at join (the user's accessibility choices). */
export interface JoinPreferences {
  /** 'off': the user opted out of the colour flash. */
  readonly flash?: 'off';
  /** 'off': the user cannot follow a flash or gesture prompts (the no-gesture path, where the session's policy allows it). */
  readonly gestures?: 'off';
}

export interface SessionAuthorizer {
  /** The session the token opens, or null when it is invalid, expired or revoked. */
  authorize(token: string, preferences?: JoinPreferences): Promise<AuthorizedSession | null>;
}
