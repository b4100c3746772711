/** Why a send or refresh failed: `code` is the server's error code, or 'closed'. */
export class ChatClientError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ChatClientError';
    this.code = code;
  }
}
