// Sign-in through a school's OpenID Connect provider: the authorization code flow with PKCE, state
// and nonce, done by openid-client (discovery, the token exchange, every ID token check: signature,
// iss, aud, azp, exp, nonce). What is ours: where a flow waits between its two requests, which
// claims make the account, and who may come in (email domains, groups -> roles).
//
// A flow is remembered here, in memory, under a random id that only the browser which started it
// holds (an HttpOnly cookie): a callback URL handed to someone else (login CSRF: signing a victim
// in as the attacker) finds no flow in the victim's browser. Each flow is used once.
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig } from '@nslab/driver';
import { ApiError } from '../errors.ts';
import type { Role } from './accounts.ts';

export const OIDC_COOKIE = 'nslab_oidc';
export const OIDC_PATH = '/api/v1/auth/oidc';
/** How long a person has at the provider (typing a password, a second factor) before the flow is forgotten. */
export const FLOW_TTL_MS = 10 * 60_000;
/** Flows remembered at once: a flood of /start requests cannot grow memory past this. */
const MAX_FLOWS = 10_000;

export interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  /** A class join code given at the start: the account joins that class at the callback. */
  joinCode?: string;
  /** Where to send the browser when signed in (a path of ours). */
  next: string;
  expiresAt: number;
}

/** What the provider vouched for, checked against the config. */
export interface OidcPerson {
  issuer: string;
  subject: string;
  email: string | null;
  usernameHint: string | undefined;
  displayName: unknown;
  /** The role the groups give, or null when groupRoles is not configured (or no group matched and the account keeps its own). */
  groupRole: Role | null;
}

const RANK: Record<Role, number> = { student: 0, instructor: 1, admin: 2 };

/** A refusal at the callback: 400 with the reason, and the person goes back to the start. */
const refused = (code: string, message: string) => new ApiError(400, code, message);

/** The text of an error from the provider or the library, one line and bounded (it ends up in a page). */
function said(e: unknown): string {
  // openid-client's own message is general ("unexpected JWT claim value encountered"); its cause says which.
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : '';
  const m = `${e instanceof Error ? e.message : String(e)}${cause && !(e as Error).message.includes(cause) ? ` (${cause})` : ''}`;
  // eslint-disable-next-line no-control-regex
  return m.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
}

/** Our sign-in page (the app's root), from the redirect URL the provider knows us by. */
export function signInPage(redirectUrl: string): string {
  const u = new URL(redirectUrl);
  u.pathname = u.pathname.endsWith('/api/v1/auth/oidc/callback') ? u.pathname.slice(0, -'api/v1/auth/oidc/callback'.length) : '/';
  u.search = '';
  u.hash = '';
  return u.href;
}

export class OidcLogin {
  private discovered: Promise<client.Configuration> | null = null;
  /** Flow id -> flow. Map order is insertion order: the oldest is dropped first. */
  readonly flows = new Map<string, Flow>();
  /** Outbound HTTP to the provider (tests put a hostile network here). */
  fetch: client.CustomFetch | undefined;

  constructor(
    readonly cfg: OidcConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The provider's metadata and keys, fetched once (again after a failure). */
  private configuration(): Promise<client.Configuration> {
    if (!this.discovered) {
      const insecure = new URL(this.cfg.issuer).protocol === 'http:';
      this.discovered = client
        .discovery(new URL(this.cfg.issuer), this.cfg.clientId, this.cfg.clientSecret, undefined, {
          // http is allowed by the config validator on a loopback issuer only.
          ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
          ...(this.fetch ? { [client.customFetch]: this.fetch } : {}),
        })
        .then((c) => {
          c.timeout = 10;
          return c;
        })
        .catch((e: unknown) => {
          this.discovered = null;
          const code = (e as { code?: string }).code;
          if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
            throw new ApiError(502, 'OIDC_ISSUER_MISMATCH', `the sign-in provider at ${this.cfg.issuer} calls itself ${JSON.stringify((e as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer)}: classroom.oidc.issuer must be exactly its issuer`);
          }
          throw new ApiError(502, 'OIDC_UNAVAILABLE', `the sign-in provider at ${this.cfg.issuer} could not be used: ${said(e)}`);
        });
    }
    return this.discovered;
  }

  private prune(): void {
    const t = this.clock();
    for (const [id, f] of this.flows) if (f.expiresAt <= t) this.flows.delete(id);
    while (this.flows.size >= MAX_FLOWS) this.flows.delete(this.flows.keys().next().value!);
  }

  /** A new flow: the provider's URL to send the browser to, and the flow id for its cookie. */
  async start(opts: { joinCode?: string; next: string }): Promise<{ url: URL; flowId: string }> {
    const config = await this.configuration();
    this.prune();
    const verifier = client.randomPKCECodeVerifier();
    const flow: Flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier,
      next: opts.next,
      expiresAt: this.clock() + FLOW_TTL_MS,
      ...(opts.joinCode !== undefined ? { joinCode: opts.joinCode } : {}),
    };
    const flowId = randomBytes(32).toString('base64url');
    this.flows.set(flowId, flow);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.cfg.redirectUrl,
      scope: this.cfg.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url, flowId };
  }

  /** The flow of this browser, taken (it cannot be used twice), or a refusal saying to start again. */
  private take(flowId: string | undefined, state: string | null): Flow {
    const flow = flowId ? this.flows.get(flowId) : undefined;
    if (!flow || flow.expiresAt <= this.clock()) {
      if (flowId) this.flows.delete(flowId);
      throw refused('OIDC_NO_FLOW', 'this browser has no sign-in waiting for the provider (it expired after 10 minutes, was already finished, or was started in another browser): start the sign-in again');
    }
    if (state !== flow.state) {
      // A forged or mixed-up answer: the flow is spent, so a guesser gets one try.
      this.flows.delete(flowId!);
      throw refused('OIDC_BAD_STATE', 'state: the provider\'s answer does not belong to the sign-in this browser started: start the sign-in again');
    }
    this.flows.delete(flowId!);
    return flow;
  }

  /**
   * The callback: `query` is the provider's answer as it reached us. Exchanges the code (with the
   * PKCE verifier), checks the ID token (nonce, issuer, audience, signature, expiry), reads the
   * userinfo, and applies the config's rules. Returns who signed in and the flow's join code/next.
   */
  async finish(flowId: string | undefined, query: URLSearchParams): Promise<{ person: OidcPerson; flow: Flow; idToken: string }> {
    const flow = this.take(flowId, query.get('state'));
    const config = await this.configuration();
    // The URL the provider redirected to, built from the configured redirect URL (not from our
    // Host header, which a proxy may have rewritten).
    const current = new URL(this.cfg.redirectUrl);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (e) {
      throw this.explain(e);
    }
    const id = tokens.claims();
    if (!id || !tokens.id_token) throw refused('OIDC_ID_TOKEN_INVALID', 'the sign-in provider sent no ID token');
    let claims: Record<string, unknown> = { ...id };
    const meta = config.serverMetadata();
    if (meta.userinfo_endpoint) {
      try {
        // The ID token's claims win over userinfo's (signed, and checked above); userinfo adds
        // what providers keep out of ID tokens (email, groups). Its sub must be the ID token's.
        claims = { ...(await client.fetchUserInfo(config, tokens.access_token, id.sub)), ...id };
      } catch (e) {
        throw this.explain(e);
      }
    }
    return { person: this.admit(id.iss, id.sub, claims), flow, idToken: tokens.id_token };
  }

  /**
   * Where to send the browser so that the provider ends its session too (RP-initiated logout),
   * or null when the provider has no end_session_endpoint. It comes back to our sign-in page.
   */
  async logoutUrl(idToken: string): Promise<URL | null> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return null;
    return client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: signInPage(this.cfg.redirectUrl) });
  }

  /** The config's rules on who may come in, and as what. */
  admit(issuer: string, subject: string, claims: Record<string, unknown>): OidcPerson {
    const rawEmail = claims.email;
    const email = typeof rawEmail === 'string' && rawEmail.includes('@') ? rawEmail.toLowerCase() : null;
    if (this.cfg.allowedEmailDomains) {
      const allowed = this.cfg.allowedEmailDomains.join(', ');
      if (!email) throw new ApiError(403, 'OIDC_EMAIL_REQUIRED', `email: this server admits people with an email in ${allowed}, and the sign-in provider gave none (is the email scope asked for?)`, 'email');
      // Some providers send the boolean as a string.
      if (claims.email_verified === false || claims.email_verified === 'false') throw new ApiError(403, 'OIDC_EMAIL_UNVERIFIED', `email: ${email} is not verified at the sign-in provider`, 'email');
      const domain = email.slice(email.lastIndexOf('@') + 1);
      if (!this.cfg.allowedEmailDomains.includes(domain)) throw new ApiError(403, 'OIDC_EMAIL_DOMAIN', `email: ${domain} is not one of the domains this server admits (${allowed}); sign in with your school account`, 'email');
    }
    let groupRole: Role | null = null;
    if (this.cfg.groupRoles) {
      const raw = claims[this.cfg.groupsClaim];
      const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
      for (const g of groups) {
        const r = Object.hasOwn(this.cfg.groupRoles, g) ? this.cfg.groupRoles[g] : undefined;
        if (r && (groupRole === null || RANK[r] > RANK[groupRole])) groupRole = r;
      }
      // The provider decides roles: no matching group is the default role.
      groupRole ??= this.cfg.defaultRole;
    }
    const hint = claims[this.cfg.usernameClaim];
    const usernameHint = typeof hint === 'string' ? hint : email ? email.slice(0, email.indexOf('@')) : undefined;
    return { issuer, subject, email, usernameHint, displayName: claims[this.cfg.displayNameClaim], groupRole };
  }

  /** openid-client's refusals, said in our words (the library's reason kept). */
  private explain(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (e instanceof client.AuthorizationResponseError) {
      return refused('OIDC_DENIED', `the sign-in provider answered ${e.error}${e.error_description ? `: ${said(e.error_description)}` : ''}`);
    }
    if (e instanceof client.ResponseBodyError) {
      return refused('OIDC_CODE_REFUSED', `the sign-in provider would not exchange the code (${e.error}${e.error_description ? `: ${said(e.error_description)}` : ''}): start the sign-in again`);
    }
    const code = (e as { code?: string }).code ?? '';
    if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || code === 'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED' || (code === 'OAUTH_INVALID_RESPONSE' && /ID Token/i.test(said(e)))) {
      return refused('OIDC_ID_TOKEN_INVALID', `the ID token failed a check: ${said(e)}`);
    }
    if (e instanceof TypeError || code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') {
      return new ApiError(502, 'OIDC_UNAVAILABLE', `the sign-in provider could not be reached: ${said(e)}`);
    }
    return refused('OIDC_BAD_RESPONSE', `the sign-in provider's answer failed a check: ${said(e)}`);
  }
}
