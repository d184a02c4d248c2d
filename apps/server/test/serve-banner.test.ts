// What `nslab serve` prints: the token only when nobody else knows it.
import { describe, expect, it } from 'vitest';
import { banner } from '../src/serve.ts';

describe('the serve banner', () => {
  const origin = 'http://127.0.0.1:7070';
  const token = 'a-secret-token-0123456789';

  it('shows a generated token in full: it is the only place to learn it', () => {
    expect(banner(origin, token, false)).toContain(`${origin}/?token=${token}`);
  });

  it('masks a token NSLAB_TOKEN set, and says where it is', () => {
    const b = banner(origin, token, true);
    expect(b).not.toContain(token);
    expect(b).not.toContain(token.slice(0, 8));
    expect(b).toContain(`${origin}/?token=<NSLAB_TOKEN>`);
    // Scripts and tests find the server's origin the same way either way.
    expect(/(http:\/\/[^/\s]+)\/\?token=/.exec(b)?.[1]).toBe(origin);
  });
});
