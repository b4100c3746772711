/** Error codes a client can receive, in HTTP refusals and `error` frames. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'overloaded'
  | 'rate_limited';

export const HTTP_STATUS: Record<ErrorCode, 400 | 401 | 403 | 429 | 503> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  overloaded: 503,
  rate_limited: 429,
};

/**
 * WebSocket close codes the server uses, and whether a client should reconnect
 * after each (with `since`, to lose nothing).
 */
export const CloseCode = {
  /** More than MAX_FRAMES_PER_SECOND frames: a misbehaving client; do not retry at once. */
  policyViolation: { code: 1008, reason: 'too many frames', reconnect: false },
  /** A frame over the size limit. */
  tooBig: { code: 1009, reason: 'frame too large', reconnect: false },
  /** The instance is shutting down; another one will serve. */
  serviceRestart: { code: 1012, reason: 'server restarting', reconnect: true },
  /** The member's token expired: fetch a new one and reconnect with `since`. */
  tokenExpired: { code: 4001, reason: 'token expired', reconnect: true },
  /** The client read too slowly, or the broker failed during its join. */
  tryAgainLater: { code: 1013, reason: 'try again later', reconnect: true },
} as const;

/** An answer the protocol defines, raised at the boundary and sent as JSON. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly ref?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** The HTTP refusal body: `{"error":{"code","message"}}`. */
  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
