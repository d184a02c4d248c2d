// Terminal frames follow ttyd: binary WebSocket frames whose first byte is an ASCII opcode.
export const TerminalOpcode = {
  // client -> server
  INPUT: 0x30, // '0' + bytes
  RESIZE: 0x31, // '1' + JSON {"columns","rows"}
  PAUSE: 0x32, // '2'
  RESUME: 0x33, // '3'
  /**
   * nslab extension: '4' + ASCII decimal byte count the terminal has rendered since the last ack.
   * A client that acks lets the server keep at most a small window in flight (socket buffers
   * included), so Ctrl-C during a flood shows its prompt at once.
   */
  ACK: 0x34,
  // server -> client
  OUTPUT: 0x30, // '0' + bytes
  /**
   * nslab extension: '8' + JSON {"session","lab","node"}, first frame; reattach with ?session=<id>.
   * A read-only viewer (…/terminals/<id>/watch) gets `"readOnly": true`: what it sends is dropped.
   */
  SESSION: 0x38,
  /** nslab extension: '9' + JSON {"code","signal","reason"}, last frame before the socket closes. */
  EXIT: 0x39,
} as const;
