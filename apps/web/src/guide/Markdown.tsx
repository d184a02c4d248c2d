// Step texts as React elements (see markdown.ts). Text is always a React string child, so the
// source can never inject markup; links are http(s) only and open without an opener.
import { createElement, useEffect, useRef, useState, type ReactNode } from 'react';
import { copyableLine, parseInline, parseMarkdown, type Block, type Inline } from './markdown.ts';
import { shellLabel, shellOf } from './command-shell.ts';
import './guide.css';

/** What a command block's "open that terminal" button does, on the lab screen. */
export interface Shells {
  open(node: string): void;
  /** Whether the node exists yet (a terminal cannot open in a namespace still to be made). */
  exists(node: string): boolean;
  /** Whether a terminal on the node is open already (the button then goes to it). */
  isOpen(node: string): boolean;
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is not available. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    /* not a secure context, or no permission: fall back */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  try {
    document.execCommand('copy');
  } finally {
    ta.remove();
  }
}

function useCopied(): [boolean, (text: string) => void] {
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const copy = (text: string) => {
    void copyText(text).then(() => {
      setCopied(true);
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => setCopied(false), 1500);
    });
  };
  return [copied, copy];
}

function CodeLine({ line }: { line: string }) {
  const [copied, copy] = useCopied();
  const text = copyableLine(line);
  return (
    <span className="md-line">
      {line === '' ? '\n' : line}
      {text !== '' && (
        <button type="button" className="md-copy-line" aria-label={`Copy line: ${text}`} title="Copy this line" onClick={() => copy(text)}>
          {copied ? 'copied' : 'copy'}
        </button>
      )}
      {'\n'}
    </span>
  );
}

function ShellButton({ node, shells }: { node: string; shells: Shells }) {
  const where = shellLabel(node);
  const exists = shells.exists(node);
  const open = shells.isOpen(node);
  return (
    <button
      type="button"
      className="small md-terminal"
      disabled={!exists}
      aria-label={`${open ? 'Go to the terminal' : 'Open a terminal'} in ${where}`}
      title={exists ? `${open ? 'Show the terminal' : 'Open a terminal'} in ${where}, where these commands are typed` : `${node} does not exist yet`}
      onClick={() => shells.open(node)}
    >
      {open ? 'Go to terminal' : 'Open terminal'}
    </button>
  );
}

export function CodeBlock({ text, lang, info = '', shells }: { text: string; lang: string; info?: string; shells?: Shells }) {
  const [copied, copy] = useCopied();
  const lines = text.split('\n');
  const shell = shellOf(lang, info);
  return (
    <div className="md-code" data-shell={shell ?? undefined}>
      <div className="md-code-bar">
        <span className="md-lang" title={shell ? `Type these in a terminal in ${shellLabel(shell)}` : undefined}>
          {/* Where to type says more than "bash"; the language shows only for blocks not typed anywhere. */}
          {shell ? <span className="md-shell">in {shellLabel(shell)}</span> : lang || 'code'}
        </span>
        {shell && shells && <ShellButton node={shell} shells={shells} />}
        <button type="button" className="small md-copy" aria-label="Copy code block" onClick={() => copy(text)}>
          {copied ? 'Copied ✓' : 'Copy'}
        </button>
        <span className="sr-only" role="status">
          {copied ? 'Copied to the clipboard' : ''}
        </span>
      </div>
      <pre data-lang={lang || undefined}>
        <code>
          {lines.map((l, i) => (
            <CodeLine key={i} line={l} />
          ))}
        </code>
      </pre>
    </div>
  );
}

function inlines(nodes: Inline[], key = ''): ReactNode[] {
  return nodes.map((n, i) => {
    const k = `${key}${i}`;
    switch (n.type) {
      case 'text':
        return n.text;
      case 'code':
        return <code key={k}>{n.text}</code>;
      case 'strong':
        return <strong key={k}>{inlines(n.children, `${k}.`)}</strong>;
      case 'em':
        return <em key={k}>{inlines(n.children, `${k}.`)}</em>;
      case 'link':
        return (
          <a key={k} href={n.href} target="_blank" rel="noopener noreferrer">
            {inlines(n.children, `${k}.`)}
          </a>
        );
    }
  });
}

function block(b: Block, i: number, headingOffset: number, shells: Shells | undefined): ReactNode {
  switch (b.type) {
    case 'heading': {
      const level = Math.min(6, b.level + headingOffset);
      return createElement(`h${level}`, { key: i, className: 'md-h' }, ...inlines(b.children));
    }
    case 'paragraph':
      return <p key={i}>{inlines(b.children)}</p>;
    case 'code':
      return <CodeBlock key={i} text={b.text} lang={b.lang} info={b.info} shells={shells} />;
    case 'list': {
      const items = b.items.map((it, j) => <li key={j}>{inlines(it)}</li>);
      return b.ordered ? (
        <ol key={i} start={b.start === 1 ? undefined : b.start}>
          {items}
        </ol>
      ) : (
        <ul key={i}>{items}</ul>
      );
    }
  }
}

/** One line of inline Markdown (code, bold, italic, links), for summaries. */
export function InlineMarkdown({ source }: { source: string }) {
  return <>{inlines(parseInline(source))}</>;
}

/**
 * Renders Markdown; headings are shifted down by `headingOffset` levels to fit the page's outline.
 * With `shells`, each command block gets a button opening the terminal it is typed in.
 */
export function Markdown({ source, headingOffset = 0, shells }: { source: string; headingOffset?: number; shells?: Shells }) {
  const blocks = parseMarkdown(source);
  return <div className="md">{blocks.map((b, i) => block(b, i, headingOffset, shells))}</div>;
}
