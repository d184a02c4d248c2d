import { describe, expect, it } from 'vitest';
import { decodeClientMessage, PROTOCOL_VERSION, ProtocolError } from '../src/index.ts';

const decode = (v: unknown) => decodeClientMessage(JSON.stringify(v));

describe('client messages on the live-events socket', () => {
  it('accepts a hello, with or without lastSeq', () => {
    expect(decode({ type: 'hello', version: PROTOCOL_VERSION })).toEqual({ type: 'hello', version: PROTOCOL_VERSION });
    expect(decode({ type: 'hello', version: PROTOCOL_VERSION, lastSeq: 7 })).toEqual({ type: 'hello', version: PROTOCOL_VERSION, lastSeq: 7 });
  });

  it('keeps the stream a resume names, so the server can tell its own history from another', () => {
    expect(decode({ type: 'hello', version: PROTOCOL_VERSION, lastSeq: 1, stream: 'Zx-9_a' })).toEqual({ type: 'hello', version: PROTOCOL_VERSION, lastSeq: 1, stream: 'Zx-9_a' });
  });

  it('refuses a stream that is not an id the server makes, naming the field', () => {
    for (const stream of ['', 'a b', 'x'.repeat(65), 7, null, ['a'], '../a']) {
      expect(() => decode({ type: 'hello', version: PROTOCOL_VERSION, lastSeq: 1, stream }), JSON.stringify(stream)).toThrow(/^stream: must be the stream id of a snapshot/);
    }
  });

  it('refuses a hello of another version or a bad lastSeq, naming the field', () => {
    expect(() => decode({ type: 'hello', version: 2 })).toThrow(/^version: server speaks 1, client sent 2/);
    expect(() => decode({ type: 'hello', version: 1, lastSeq: -1 })).toThrow(/^lastSeq: /);
    expect(() => decode({ type: 'hello', version: 1, lastSeq: 1.5 })).toThrow(/^lastSeq: /);
  });

  it('accepts counters on and off, and keeps nothing else of the message', () => {
    expect(decode({ type: 'counters', on: true })).toEqual({ type: 'counters', on: true });
    expect(decode({ type: 'counters', on: false, extra: 'x' })).toEqual({ type: 'counters', on: false });
  });

  it('refuses counters without a boolean `on`', () => {
    for (const on of [undefined, 1, 'true', null, {}]) {
      expect(() => decode({ type: 'counters', on }), JSON.stringify(on)).toThrow(ProtocolError);
      expect(() => decode({ type: 'counters', on }), JSON.stringify(on)).toThrow(/^on: must be true or false$/);
    }
  });

  it('refuses what is not a known message', () => {
    expect(() => decodeClientMessage('{')).toThrow(/not JSON/);
    expect(() => decode([1])).toThrow(/^type: unknown message type/);
    expect(() => decode(null)).toThrow(/must be an object/);
    expect(() => decode({ type: 'patch' })).toThrow(/^type: unknown message type "patch"/);
  });
});
