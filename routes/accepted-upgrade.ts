/**
 * Answers that accept a WebSocket upgrade without being a 101: on Node the
 * socket goes to `ws` once the app returns, and the app's answer is dropped.
 */
const accepted = new WeakSet<Response>();

/** Marks `response` as the acceptance of an upgrade the runtime completes itself. */
export function acceptedUpgrade(response: Response): Response {
  accepted.add(response);
  return response;
}

/** Whether the answer opens a WebSocket: nothing is added to it, since no browser reads it. */
export function isAcceptedUpgrade(response: Response): boolean {
  return response.status === 101 || accepted.has(response);
}
