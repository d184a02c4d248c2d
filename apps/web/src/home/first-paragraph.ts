// A lab README's first paragraph is what the home page shows learners about its topology. Pure.

/** The README's first paragraph, as plain text (markdown code ticks removed). */
export function firstParagraph(md: string): string {
  const body = md.replace(/^#.*\n+/, '');
  const para = body.split(/\n\s*\n/)[0] ?? '';
  return para.replace(/\s+/g, ' ').replace(/`/g, '').trim();
}
