// One-time passwords as an instructor copies them out: a CSV they can hand to a mail merge or print.
export interface Credential {
  username: string;
  displayName: string;
  password: string;
}

/** A CSV field, quoted when it must be (RFC 4180). */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A display name is what a student typed: one starting like a formula (`=HYPERLINK(...)`) is kept
 * from being run by the spreadsheet the file is opened in. Usernames and generated passwords never
 * start so; a password is left exactly as it is.
 */
function textField(s: string): string {
  return csvField(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
}

export function credentialsCsv(rows: Credential[]): string {
  return ['username,password,display name', ...rows.map((r) => [csvField(r.username), csvField(r.password), textField(r.displayName)].join(','))].join('\n') + '\n';
}
