// `nslab user add|list|reset-password`: classroom accounts from the shell, straight in the
// database the classroom server uses (the first admin has no other way in). Root's shell is the
// authority here, as it is for the server's files.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@nslab/driver';

export class UserUsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function userCmd(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      admin: { type: 'boolean' },
      instructor: { type: 'boolean' },
      student: { type: 'boolean' },
      'display-name': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      database: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const config = loadConfig(values.config);
  const { Classroom, classroomOptionsOf } = await import('@nslab/server');
  const options = classroomOptionsOf(config.classroom);
  const classroom = Classroom.open({ ...options, ...(values.database ? { database: values.database } : {}) });
  try {
    switch (sub) {
      case 'add': {
        const name = positionals[0];
        if (!name) throw new UserUsageError('missing the username: nslab user add --admin|--instructor|--student NAME');
        const roles = (['admin', 'instructor', 'student'] as const).filter((r) => values[r]);
        if (roles.length !== 1) throw new UserUsageError('say which kind of account, once: --admin, --instructor or --student');
        // From a pipe only: a password typed as an argument would stay in the shell's history and `ps`.
        const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined;
        const { user, password: generated } = await classroom.accounts.create({
          username: name,
          role: roles[0]!,
          ...(values['display-name'] !== undefined ? { displayName: values['display-name'] } : {}),
          ...(password !== undefined ? { password } : {}),
        });
        io.err(`created ${user.role} ${user.username} in ${classroom.path}\n`);
        if (generated) {
          io.err('one-time password (shown only now; it must be changed at the first sign-in):\n');
          io.out(`${generated}\n`);
        }
        return 0;
      }
      case 'list': {
        const users = classroom.accounts.list();
        if (values.json) io.out(JSON.stringify(users, null, 2) + '\n');
        else if (users.length === 0) io.out(`no accounts yet (${classroom.path}); the first: nslab user add --admin NAME\n`);
        else for (const u of users) io.out(`${u.username}\t${u.role}\t${u.displayName}${u.mustChangePassword ? '\t(must change password)' : ''}\n`);
        return 0;
      }
      case 'reset-password': {
        const name = positionals[0];
        if (!name) throw new UserUsageError('missing the username: nslab user reset-password NAME');
        const user = classroom.accounts.byUsername(name);
        if (!user) throw new Error(`no account "${name}" in ${classroom.path}`);
        const password = await classroom.accounts.resetPassword(user.id);
        classroom.sessions.revokeUser(user.id);
        io.err(`new one-time password for ${user.username} (shown only now; signed out everywhere):\n`);
        io.out(`${password}\n`);
        return 0;
      }
      default:
        throw new UserUsageError(`unknown user command "${sub ?? ''}" (add, list, reset-password)`);
    }
  } finally {
    classroom.close();
  }
}
