// A small Markdown reader for the guided labs' step texts. Pure: Markdown → a tree of plain data,
// which markdown-view.tsx turns into React elements. Nothing here produces HTML: raw HTML in the
// source stays text, and only http(s) links become links.
//
// Supported: ATX headings, paragraphs, fenced code blocks (``` or ~~~), "-"/"*"/"+" and "1." lists
// (one level), `code`, **bold**, __bold__, *italic*, _italic_, [text](http(s) url), backslash escapes.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] };

export type Block =
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'code'; lang: string; text: string; /** The rest of the fence's info string (`in=ns1`). */ info: string }
  | { type: 'list'; ordered: boolean; start: number; items: Inline[][] };

/** A link target we are willing to render: absolute http(s) only. */
export function safeHref(url: string): string | null {
  const u = url.trim();
  if (!/^https?:\/\/[^\s]+$/i.test(u)) return null;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

const ESCAPABLE = '\\`*_{}[]()#+-.!<>|~';

function pushText(out: Inline[], text: string): void {
  if (!text) return;
  const last = out[out.length - 1];
  if (last?.type === 'text') last.text += text;
  else out.push({ type: 'text', text });
}

/** Finds the closing delimiter `d` for an emphasis opened at `from`, not preceded by whitespace. */
function findClose(s: string, d: string, from: number): number {
  for (let j = from; j <= s.length - d.length; j++) {
    const c = s[j]!;
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '`') {
      // Skip code spans: emphasis never closes inside one.
      const run = /^`+/.exec(s.slice(j))![0];
      const end = s.indexOf(run, j + run.length);
      if (end > 0) {
        j = end + run.length - 1;
        continue;
      }
    }
    if (s.startsWith(d, j) && j > from && !/\s/.test(s[j - 1]!)) {
      // "**" should not close a single "*"
      if (d.length === 1 && s[j + 1] === d) {
        j++;
        continue;
      }
      return j;
    }
  }
  return -1;
}

export function parseInline(s: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && ESCAPABLE.includes(s[i + 1]!)) {
      pushText(out, s[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(s.slice(i))![0];
      const end = s.indexOf(run, i + run.length);
      if (end >= 0) {
        let text = s.slice(i + run.length, end);
        if (text.length > 2 && text.startsWith(' ') && text.endsWith(' ')) text = text.slice(1, -1);
        out.push({ type: 'code', text });
        i = end + run.length;
        continue;
      }
      pushText(out, run);
      i += run.length;
      continue;
    }
    if (c === '[' && depth < 4) {
      const m = /^\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)/.exec(s.slice(i));
      if (m) {
        const children = parseInline(m[1]!, depth + 1);
        const href = safeHref(m[2]!);
        if (href) out.push({ type: 'link', href, children });
        else for (const ch of children) ch.type === 'text' ? pushText(out, ch.text) : out.push(ch);
        i += m[0].length;
        continue;
      }
    }
    if ((c === '*' || c === '_') && depth < 4) {
      const double = s[i + 1] === c;
      const d = double ? c + c : c;
      const next = s[i + d.length];
      // "_" only opens at a word start (snake_case stays as is); nothing opens before a space.
      const wordStart = c === '*' || i === 0 || !/[A-Za-z0-9]/.test(s[i - 1]!);
      if (next !== undefined && !/\s/.test(next) && wordStart) {
        const end = findClose(s, d, i + d.length);
        const after = s[end + d.length];
        const wordEnd = c === '*' || after === undefined || !/[A-Za-z0-9]/.test(after);
        if (end > 0 && wordEnd) {
          const children = parseInline(s.slice(i + d.length, end), depth + 1);
          out.push(double ? { type: 'strong', children } : { type: 'em', children });
          i = end + d.length;
          continue;
        }
      }
      pushText(out, d);
      i += d.length;
      continue;
    }
    // Plain text up to the next character that could start something.
    let j = i + 1;
    while (j < s.length && !'\\`[*_'.includes(s[j]!)) j++;
    pushText(out, s.slice(i, j));
    i = j;
  }
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)([^`]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;

/** Pure: Markdown text → blocks. Never throws, whatever the input. */
export function parseMarkdown(md: string): Block[] {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ type: 'paragraph', children: parseInline(para.join(' ')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`).test(lines[i]!)) body.push(lines[i++]!);
      blocks.push({ type: 'code', lang: fence[2] ?? '', text: body.join('\n'), info: (fence[3] ?? '').trim() });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      flush();
      blocks.push({ type: 'heading', level: h[1]!.length as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(h[2] ?? '') });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      flush();
      const isOrdered = !bullet;
      const items: string[] = [];
      const start = ordered ? Number(ordered[1]) : 1;
      while (i < lines.length) {
        const l = lines[i]!;
        const m = isOrdered ? ORDERED.exec(l) : BULLET.exec(l);
        if (m) items.push((isOrdered ? m[2] : m[1])!);
        else if (l.trim() !== '' && /^\s+/.test(l) && items.length) items[items.length - 1] += ' ' + l.trim(); // a wrapped item
        else break;
        i++;
      }
      i--;
      blocks.push({ type: 'list', ordered: isOrdered, start, items: items.map((t) => parseInline(t)) });
      continue;
    }
    para.push(line.trim());
  }
  flush();
  return blocks;
}

/** The lines of a code block worth copying one at a time (not blank). */
export function copyableLine(line: string): string {
  return line.trimEnd();
}
