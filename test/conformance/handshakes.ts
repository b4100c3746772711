/** A good RFC 6455 opening handshake (the key is the RFC's example). */
export const HANDSHAKE = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

/** Upgrade requests that are not an RFC 6455 handshake: each is refused with 400 `bad_request`. */
export const MALFORMED_HANDSHAKES: Array<[string, Record<string, string>]> = [
  ['Upgrade without Connection: upgrade', { upgrade: 'websocket' }],
  ['no Sec-WebSocket-Key', { ...HANDSHAKE, 'sec-websocket-key': '' }],
  ['a bad Sec-WebSocket-Key', { ...HANDSHAKE, 'sec-websocket-key': 'short' }],
  ['version 8', { ...HANDSHAKE, 'sec-websocket-version': '8' }],
];
