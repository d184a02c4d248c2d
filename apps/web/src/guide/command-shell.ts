// Which shell a step's command block is typed in. Blocks of a shell language run in the lab host
// unless the fence says otherwise (```bash in=ns1); other blocks (YAML, diagrams) are not typed
// anywhere. Pure.
/** The lab host's node name (as in @nslab/model, not imported: the page does not need its parser). */
const HOST = 'host';

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'console', 'zsh']);
const IN = /(?:^|\s)in=([A-Za-z0-9_.-]{1,64})(?:\s|$)/;

export function shellOf(lang: string, info: string): string | null {
  const m = IN.exec(info);
  if (m) return m[1]!;
  return SHELL_LANGS.has(lang.toLowerCase()) ? HOST : null;
}

/** "the lab host" or the namespace's name, as the page says where to type. */
export function shellLabel(node: string): string {
  return node === HOST ? 'the lab host' : node;
}
