// The step-text renderer: structure, inline formatting, and that hostile input stays text.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown } from '../src/guide/Markdown.tsx';
import { parseInline, parseMarkdown, safeHref } from '../src/guide/markdown.ts';

const html = (md: string, headingOffset = 0) => renderToStaticMarkup(<Markdown source={md} headingOffset={headingOffset} />);

describe('parseMarkdown', () => {
  it('reads headings, paragraphs, lists and fenced code', () => {
    const md = '## Goal\nTwo empty namespaces,\n`ns1` and `ns2`.\n\n- one\n- **two**\n\n1. first\n2. second\n\n```bash\nip netns add ns1\n\nip netns add ns2   # a comment\n```\nafter';
    const blocks = parseMarkdown(md);
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'paragraph', 'list', 'list', 'code', 'paragraph']);
    expect(blocks[0]).toMatchObject({ type: 'heading', level: 2, children: [{ type: 'text', text: 'Goal' }] });
    expect(blocks[1]).toMatchObject({ children: [{ text: 'Two empty namespaces, ' }, { type: 'code', text: 'ns1' }, { text: ' and ' }, { type: 'code', text: 'ns2' }, { text: '.' }] });
    expect(blocks[2]).toMatchObject({ ordered: false, items: [[{ text: 'one' }], [{ type: 'strong', children: [{ text: 'two' }] }]] });
    expect(blocks[3]).toMatchObject({ ordered: true, start: 1 });
    expect(blocks[4]).toEqual({ type: 'code', lang: 'bash', text: 'ip netns add ns1\n\nip netns add ns2   # a comment', info: '' });
  });

  it('keeps an unclosed fence to the end, and never throws on odd input', () => {
    expect(parseMarkdown('```\nopen')).toEqual([{ type: 'code', lang: '', text: 'open', info: '' }]);
    for (const s of ['', '#', '**', '*', '`', '[', '[a](', '_a', '- ', '1.', '\\', '***x***', '\u0000', 'a\r\nb']) expect(() => parseMarkdown(s)).not.toThrow();
  });

  it('formats inline code, bold and italic, and leaves snake_case and lone stars alone', () => {
    expect(parseInline('a *b* _c_ __d__ **e `f*` g**')).toEqual([
      { type: 'text', text: 'a ' },
      { type: 'em', children: [{ type: 'text', text: 'b' }] },
      { type: 'text', text: ' ' },
      { type: 'em', children: [{ type: 'text', text: 'c' }] },
      { type: 'text', text: ' ' },
      { type: 'strong', children: [{ type: 'text', text: 'd' }] },
      { type: 'text', text: ' ' },
      { type: 'strong', children: [{ type: 'text', text: 'e ' }, { type: 'code', text: 'f*' }, { type: 'text', text: ' g' }] },
    ]);
    expect(parseInline('peer_ifindex and 2 * 3')).toEqual([{ type: 'text', text: 'peer_ifindex and 2 * 3' }]);
    expect(parseInline('\\*not em\\*')).toEqual([{ type: 'text', text: '*not em*' }]);
  });
});

describe('links', () => {
  it('accepts only absolute http(s) targets', () => {
    expect(safeHref('https://man7.org/linux/man-pages/man8/ip-netns.8.html')).toBe('https://man7.org/linux/man-pages/man8/ip-netns.8.html');
    expect(safeHref('http://example.com')).toBe('http://example.com/');
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '//evil.example', '/relative', 'https:evil', ' javascript:alert(1)', 'file:///etc/passwd'])
      expect(safeHref(bad), bad).toBeNull();
  });

  it('renders safe links with noopener, and unsafe ones as their text only', () => {
    const out = html('see [the man page](https://man7.org/x) and [click](javascript:alert(1)) and [x](data:text/html,hi)');
    expect(out).toContain('<a href="https://man7.org/x" target="_blank" rel="noopener noreferrer">the man page</a>');
    expect(out).not.toMatch(/javascript:|data:/i);
    expect(out).toContain('and click and x');
  });
});

describe('hostile input', () => {
  it('shows raw HTML as text', () => {
    const out = html('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> **<b>bold</b>**\n\n# <i>head</i>');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(out).not.toContain('<i>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('<strong>&lt;b&gt;bold&lt;/b&gt;</strong>');
  });

  it('keeps code blocks verbatim, HTML included', () => {
    const out = html('```html\n<script>alert("x")</script>\n```');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(out).not.toContain('<script');
  });

  it('survives deep nesting and long input', () => {
    const deep = '*'.repeat(2000) + 'x' + '*'.repeat(2000);
    expect(() => html(deep)).not.toThrow();
    expect(() => html('[['.repeat(5000))).not.toThrow();
    expect(() => html('`'.repeat(10000))).not.toThrow();
  });
});

describe('rendering', () => {
  it('shifts heading levels and gives each code block a copy button', () => {
    const out = html('## Goal\n```bash\nip netns add ns1\nip netns list\n```', 3);
    expect(out).toContain('<h5 class="md-h">Goal</h5>');
    expect(out).toContain('aria-label="Copy code block"');
    expect(out).toContain('aria-label="Copy line: ip netns add ns1"');
    expect(out).toContain('aria-label="Copy line: ip netns list"');
    expect(out).toContain('data-lang="bash"');
  });

  it('renders lists with their numbering', () => {
    expect(html('3. c\n4. d')).toBe('<div class="md"><ol start="3"><li>c</li><li>d</li></ol></div>');
    expect(html('- a\n  wrapped\n- b')).toBe('<div class="md"><ul><li>a wrapped</li><li>b</li></ul></div>');
  });
});

describe('command blocks say where they are typed', () => {
  const shells = { open: () => {}, exists: (n: string) => n !== 'ns9', isOpen: (n: string) => n === 'ns1' };
  it('a shell block names its terminal and has the button; other blocks do not', () => {
    const out = renderToStaticMarkup(<Markdown source={'```bash\nip netns add ns1\n```\n\n```yaml\nname: x\n```'} shells={shells} />);
    expect(out).toContain('>in the lab host<');
    expect(out).toContain('aria-label="Open a terminal in the lab host"');
    expect(out.match(/md-terminal/g)).toHaveLength(1);
  });
  it('in=NODE: that namespace; "Go to" when one is open, disabled while the namespace does not exist', () => {
    expect(renderToStaticMarkup(<Markdown source={'```bash in=ns1\nping -c1 10.1.5.11\n```'} shells={shells} />)).toContain('aria-label="Go to the terminal in ns1"');
    expect(renderToStaticMarkup(<Markdown source={'```bash in=ns9\nip a\n```'} shells={shells} />)).toMatch(/<button[^>]*disabled=""[^>]*aria-label="Open a terminal in ns9"/);
  });
  it('without shells (outside a lab) the block only says where', () => {
    const out = renderToStaticMarkup(<Markdown source={'```bash\nip a\n```'} />);
    expect(out).toContain('>in the lab host<');
    expect(out).not.toContain('md-terminal');
  });
});
