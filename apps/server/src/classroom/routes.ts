// Classroom REST routes under /api/v1 (classroom mode only): sign-in, joining a class, classes,
// join codes, rosters, accounts. Who may call each is its `access`; what it may touch is checked
// again here only where the access level cannot say it (a join code of *this* class).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.ts';
import { checkUsername, ROLES, type PreparedUser, type User } from './accounts.ts';
import type { Classroom } from './classroom.ts';
import { formatJoinCode, type JoinCode } from './classes.ts';
import { PASSWORD_MAX } from './passwords.ts';
import { userOf } from './principal.ts';
import { oidcRoutes } from './oidc-routes.ts';
import { OidcSessions } from './oidc-sessions.ts';
import { parseRoster } from './roster.ts';
import { clearedSessionCookie, sessionCookie } from './sessions.ts';

const Str = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });
const Password = Str(PASSWORD_MAX);

const LoginBody = Type.Object({ username: Str(64), password: Password }, { additionalProperties: false });
const JoinBody = Type.Object(
  { code: Str(32, 'the join code the instructor handed out'), username: Str(64), password: Password, displayName: Type.Optional(Str(80)) },
  { additionalProperties: false },
);
const PasswordBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });
const ClassBody = Type.Object({ name: Str(100) }, { additionalProperties: false });
const ClassParams = Type.Object({ class: Type.String({ maxLength: 20, description: 'a class id' }) });
const CodeParams = Type.Object({ class: Type.String({ maxLength: 20 }), code: Str(32) });
const JoinCodeBody = Type.Object(
  {
    validHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 90, description: 'how long the code works (default: 7 days)' })),
    maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'how many students may join with it (default: no limit)' })),
  },
  { additionalProperties: false },
);
const JoinClassBody = Type.Object({ code: Str(32) }, { additionalProperties: false });
const RosterBody = Type.Object({ csv: Type.String({ minLength: 1, maxLength: 256 * 1024, description: 'one student a line: username[,password[,display name]]' }) }, { additionalProperties: false });
const UserBody = Type.Object(
  {
    username: Str(64),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    displayName: Type.Optional(Str(80)),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
const UserParams = Type.Object({ user: Str(64) });

function publicUser(u: User) {
  return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, mustChangePassword: u.mustChangePassword, disabled: u.disabledAt !== null };
}

function publicCode(c: JoinCode) {
  return { ...c, code: formatJoinCode(c.code) };
}

function me(req: FastifyRequest): User {
  const u = userOf(req);
  // The access hook lets no anonymous request reach a non-public route.
  if (!u) throw new ApiError(401, 'UNAUTHORIZED', 'sign in first');
  return u;
}

export async function classroomRoutes(app: FastifyInstance, opts: { classroom: Classroom }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  // Sign-in and join are counted per client address too (on top of per account): what a guesser
  // spraying names from one machine runs into.
  const perClient = { rateLimit: { max: c.signInPerMinute, timeWindow: '1 minute', keyGenerator: (req: FastifyRequest) => `signin|${req.ip}` } };
  const maxAgeS = Math.floor(c.session.maxMs / 1000);

  const startSession = (req: FastifyRequest, reply: FastifyReply, user: User) => {
    // After the password (or the provider) said who it is: a guesser learns nothing from this.
    if (user.disabledAt) throw new ApiError(403, 'ACCOUNT_DISABLED', `username: the account "${user.username}" is disabled; ask your instructor`, 'username');
    const id = c.sessions.create(user.id);
    void reply.header('set-cookie', sessionCookie(req, id, maxAgeS, c.secureCookies)).header('cache-control', 'no-store');
    return id;
  };
  const oidcSessions = new OidcSessions(c.db);

  r.post('/auth/login', { schema: { summary: 'Sign in: sets the session cookie', body: LoginBody }, config: { access: 'public', ...perClient } }, async (req, reply) => {
    const account = req.body.username.trim().toLowerCase();
    const wait = c.throttle.blockedFor(account);
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new ApiError(429, 'LOGIN_LOCKED', `username: too many failed sign-ins for "${account}"; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, 'username');
    }
    const user = await c.accounts.verify(account, req.body.password);
    if (!user) {
      c.throttle.failed(account);
      throw new ApiError(401, 'BAD_CREDENTIALS', 'password: wrong username or password', 'password');
    }
    c.throttle.succeeded(account);
    startSession(req, reply, user);
    return { user: publicUser(user) };
  });

  r.post('/auth/logout', { schema: { summary: 'Sign out: ends this session (and, for a provider sign-in, says where the provider ends its own)' }, config: { access: 'signed-in', beforePasswordChange: true } }, async (req, reply) => {
    let atProvider: URL | null = null;
    if (req.principal?.kind === 'user') {
      const viaProvider = oidcSessions.of(req.principal.sessionId);
      // Ours ends first and whatever the provider does: signing out never depends on it.
      c.sessions.revoke(req.principal.sessionId);
      if (viaProvider && c.oidc && viaProvider.issuer === c.oidc.cfg.issuer) {
        atProvider = await c.oidc.logoutUrl(viaProvider.idToken).catch((err: unknown) => {
          req.log.warn({ err }, 'signed out here; the sign-in provider could not be asked to end its session');
          return null;
        });
      }
    }
    void reply.header('set-cookie', clearedSessionCookie(req, c.secureCookies)).header('cache-control', 'no-store');
    // The browser goes there next (RP-initiated logout), and the provider sends it back to our sign-in page.
    return atProvider ? reply.code(200).send({ providerLogout: atProvider.href }) : reply.code(204).send();
  });

  r.get('/auth/me', { schema: { summary: 'The signed-in account and its classes' }, config: { access: 'signed-in', beforePasswordChange: true } }, async (req) => {
    const user = me(req);
    return { user: publicUser(user), classes: c.classes.listFor(user) };
  });

  r.post('/auth/password', { schema: { summary: 'Change your password (signs out your other sessions)', body: PasswordBody }, config: { access: 'signed-in', beforePasswordChange: true, ...perClient } }, async (req) => {
    const user = me(req);
    if (!(await c.accounts.verify(user.username, req.body.currentPassword))) {
      c.throttle.failed(user.username);
      throw new ApiError(400, 'WRONG_PASSWORD', 'currentPassword: that is not your current password', 'currentPassword');
    }
    if (req.body.newPassword === req.body.currentPassword) throw new ApiError(400, 'SAME_PASSWORD', 'newPassword: must differ from the current one', 'newPassword');
    await c.accounts.setPassword(user.id, req.body.newPassword, 'newPassword');
    if (req.principal?.kind === 'user') c.sessions.revokeUser(user.id, req.principal.sessionId);
    return { user: publicUser(c.accounts.byId(user.id)!) };
  });

  r.post('/auth/join', { schema: { summary: 'Make a student account with a class join code; signs it in', body: JoinBody }, config: { access: 'public', ...perClient } }, async (req, reply) => {
    // The code first: a wrong one is said before any password is hashed.
    c.classes.checkJoinCode(req.body.code);
    let classId = 0;
    const { user } = await c.accounts.create({ username: req.body.username, role: 'student', password: req.body.password, ...(req.body.displayName !== undefined ? { displayName: req.body.displayName } : {}) }, {}, (u) => {
      // Checked again and counted in the account's transaction: it may have expired, been revoked
      // or used up while the password was hashed; then no account is made.
      classId = c.classes.useJoinCode(req.body.code);
      c.classes.addStudent(classId, u.id);
    });
    startSession(req, reply, user);
    return reply.code(201).send({ user: publicUser(user), class: c.classes.get(classId) });
  });

  // --- OpenID Connect sign-in (oidc-routes.ts): the same session as a password sign-in ---
  await app.register(oidcRoutes, { classroom: c, startSession });

  r.get('/classes', { schema: { summary: 'Your classes (an admin: all)' }, config: { access: 'signed-in' } }, async (req) => ({ classes: c.classes.listFor(me(req)) }));

  r.post('/classes', { schema: { summary: 'Create a class (you teach it)', body: ClassBody }, config: { access: 'instructor' } }, async (req, reply) =>
    reply.code(201).send(c.classes.create(req.body.name, me(req))));

  r.post('/classes/join', { schema: { summary: 'Join another class with its code (students)', body: JoinClassBody }, config: { access: 'signed-in' } }, async (req) => {
    const user = me(req);
    if (user.role !== 'student') throw new ApiError(403, 'FORBIDDEN', 'only student accounts join classes with a code; an admin adds instructors');
    const classId = c.db.transaction(() => {
      const id = c.classes.useJoinCode(req.body.code);
      c.classes.addStudent(id, user.id);
      return id;
    })();
    return { class: c.classes.get(classId) };
  });

  r.get('/classes/:class', { schema: { summary: 'A class: members and join codes', params: ClassParams }, config: { access: 'class-instructor' } }, async (req) => {
    const id = Number(req.params.class);
    return { class: c.classes.get(id), members: c.classes.members(id), joinCodes: c.classes.joinCodes(id).map(publicCode) };
  });

  r.post('/classes/:class/join-codes', { schema: { summary: 'A new join code for the class', params: ClassParams, body: JoinCodeBody }, config: { access: 'class-instructor' } }, async (req, reply) => {
    const validMs = req.body.validHours !== undefined ? req.body.validHours * 3600_000 : c.joinCodeValidMs;
    return reply.code(201).send(publicCode(c.classes.createJoinCode(Number(req.params.class), me(req), validMs, req.body.maxUses ?? null)));
  });

  r.delete('/classes/:class/join-codes/:code', { schema: { summary: 'Revoke a join code (students who joined stay)', params: CodeParams }, config: { access: 'class-instructor' } }, async (req) =>
    publicCode(c.classes.revokeJoinCode(Number(req.params.class), req.params.code)));

  r.post(
    '/classes/:class/roster',
    { schema: { summary: 'Add students from a CSV roster; generated passwords are in this answer only', params: ClassParams, body: RosterBody }, config: { access: 'class-instructor' } },
    async (req, reply) => {
      const classId = Number(req.params.class);
      const rows = parseRoster(req.body.csv);
      const existing = new Map<string, User>();
      for (const row of rows) {
        const u = c.accounts.byUsername(row.username);
        if (!u) continue;
        if (u.role !== 'student') throw new ApiError(409, 'NOT_A_STUDENT', `csv line ${row.line}: "${row.username}" is an ${u.role} account, not a student`, 'csv');
        if (row.password) throw new ApiError(409, 'USERNAME_TAKEN', `csv line ${row.line}: "${row.username}" already has an account: leave its password out to add it to this class`, 'csv');
        existing.set(row.username, u);
      }
      // Hashed first (slow, a few at a time), then written in one transaction: all or nothing.
      const prepared: PreparedUser[] = [];
      for (const row of rows) {
        if (existing.has(row.username)) continue;
        prepared.push(await c.accounts.prepare({ username: row.username, role: 'student', ...(row.password ? { password: row.password } : {}), ...(row.displayName ? { displayName: row.displayName } : {}) }, { username: 'csv' }));
      }
      const made = c.db.transaction(() => {
        const out = prepared.map((p) => ({ user: c.accounts.insert(p), password: p.generated }));
        for (const o of out) c.classes.addStudent(classId, o.user.id);
        for (const u of existing.values()) c.classes.addStudent(classId, u.id);
        return out;
      })();
      void reply.header('cache-control', 'no-store');
      return reply.code(201).send({
        students: [
          ...made.map((m) => ({ ...publicUser(m.user), created: true, ...(m.password ? { password: m.password } : {}) })),
          ...[...existing.values()].map((u) => ({ ...publicUser(u), created: false })),
        ],
      });
    },
  );

  r.get('/users', { schema: { summary: 'Every account' }, config: { access: 'admin' } }, async () => ({ users: c.accounts.list().map(publicUser) }));

  r.post('/users', { schema: { summary: 'Create an account (a generated password is in this answer only)', body: UserBody }, config: { access: 'admin' } }, async (req, reply) => {
    const { user, password } = await c.accounts.create({ username: req.body.username, role: req.body.role, ...(req.body.displayName !== undefined ? { displayName: req.body.displayName } : {}), ...(req.body.password !== undefined ? { password: req.body.password } : {}) });
    void reply.header('cache-control', 'no-store');
    return reply.code(201).send({ user: publicUser(user), ...(password ? { password } : {}) });
  });

  r.post('/users/:user/password-reset', { schema: { summary: 'A new one-time password for an account (signs it out everywhere)', params: UserParams }, config: { access: 'admin' } }, async (req, reply) => {
    const username = checkUsername(req.params.user, 'user');
    const user = c.accounts.byUsername(username);
    if (!user) throw new ApiError(404, 'USER_NOT_FOUND', `no account "${username}"`, 'user');
    const password = await c.accounts.resetPassword(user.id);
    c.sessions.revokeUser(user.id);
    void reply.header('cache-control', 'no-store');
    return { user: publicUser(c.accounts.byId(user.id)!), password };
  });
}
