// A class roster as CSV: one student a line, `username[,password[,display name]]`, an optional
// header line (`username,password,displayName`). Parsed by csv-parse (quotes, commas inside
// quotes, CRLF); every row is checked before anything is created, and a bad one is named by line.
import { parse } from 'csv-parse/sync';
import { ApiError } from '../errors.ts';
import { checkDisplayName, checkPassword, checkUsername } from './accounts.ts';

export interface RosterRow {
  line: number;
  username: string;
  password?: string;
  displayName?: string;
}

export const ROSTER_MAX_ROWS = 1000;

export function parseRoster(csv: string, field = 'csv'): RosterRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // info: each record with the line it ends on, so errors name the line the instructor sees.
    // One kind of line end: csv-parse counts lines by the first kind it meets (Windows, Mac and
    // Unix files all arrive here, and pasted text mixes them).
    records = parse(csv.replace(/\r\n?/g, '\n'), { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, max_record_size: 4096, info: true }) as unknown as typeof records;
  } catch (e) {
    throw new ApiError(400, 'INVALID_ROSTER', `${field}: not readable as CSV: ${(e as Error).message}`, field);
  }
  const header = records[0]?.record.map((c) => c.toLowerCase().replace(/[\s_]/g, ''));
  const start = header && header[0] === 'username' ? 1 : 0;
  const rows = records.slice(start);
  if (rows.length === 0) throw new ApiError(400, 'INVALID_ROSTER', `${field}: no students in it (one a line: username[,password[,display name]])`, field);
  if (rows.length > ROSTER_MAX_ROWS) throw new ApiError(413, 'INVALID_ROSTER', `${field}: ${rows.length} students; a roster has at most ${ROSTER_MAX_ROWS}`, field);
  const seen = new Map<string, number>();
  // A cell's own check names the line and column in its message; the field is the roster.
  const onLine = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.statusCode, e.code, e.message, field);
      throw e;
    }
  };
  return rows.map(({ record: r, info }) => {
    const line = info.lines;
    const at = `${field} line ${line}`;
    if (r.length > 3) throw new ApiError(400, 'INVALID_ROSTER', `${at}: ${r.length} columns; a line is username[,password[,display name]]`, field);
    const username = onLine(() => checkUsername(r[0] ?? '', `${at}: username`));
    const first = seen.get(username);
    if (first !== undefined) throw new ApiError(400, 'INVALID_ROSTER', `${at}: username "${username}" is also on line ${first}`, field);
    seen.set(username, line);
    const password = r[1] ? onLine(() => checkPassword(r[1]!, `${at}: password`)) : undefined;
    const displayName = r[2] ? onLine(() => checkDisplayName(r[2]!, `${at}: display name`)) : undefined;
    return { line, username, ...(password ? { password } : {}), ...(displayName ? { displayName } : {}) };
  });
}
