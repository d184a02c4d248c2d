import { describe, expect, it } from 'vitest';
import { encodeFrame, Frame, FrameReader, MAX_FRAME } from '../src/pty-host/frames.ts';

describe('pty host frames', () => {
  it('reassembles frames split at any byte and several per chunk', () => {
    const wire = Buffer.concat([encodeFrame(Frame.HELLO, '{"op":"list"}'), encodeFrame(Frame.OUTPUT, Buffer.from([0, 255, 10])), encodeFrame(Frame.PAUSE)]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const got: [number, string][] = [];
      const r = new FrameReader();
      const on = (t: number, p: Buffer) => got.push([t, p.toString('hex')]);
      r.push(wire.subarray(0, cut), on);
      r.push(wire.subarray(cut), on);
      expect(got).toEqual([
        [Frame.HELLO, Buffer.from('{"op":"list"}').toString('hex')],
        [Frame.OUTPUT, '00ff0a'],
        [Frame.PAUSE, ''],
      ]);
    }
  });

  it('refuses a frame longer than the cap instead of buffering it', () => {
    const head = Buffer.alloc(5);
    head[0] = Frame.INPUT;
    head.writeUInt32BE(MAX_FRAME + 1, 1);
    expect(() => new FrameReader().push(head, () => {})).toThrow(/exceeds/);
  });
});
