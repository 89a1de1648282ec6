// The API explorer's token (seed 004: "the explorer automatically handles
// token generation"): POST /api/v1/console/explorer-token mints a short-lived
// JWT for the signed-in person (5 minutes, ends with the session). It is kept
// in memory only, reused while it has more than a minute left, and replaced
// before it expires (or when the server refused it); nobody pastes a token.
import { api } from "../../api";

const REFRESH_MARGIN_MS = 60_000;

interface Cached {
  token: string;
  expiresAt: number;
}

let cached: Cached | null = null;
let pending: Promise<string> | null = null;

// Renewed on use, never on a timer: a timer would keep the console session
// alive (every mint is a request) past its 30-minute idle limit.
async function mint(now: () => number): Promise<string> {
  const issued = await api<{ access_token: string; expires_in: number }>("POST", "/api/v1/console/explorer-token");
  cached = { token: issued.access_token, expiresAt: now() + issued.expires_in * 1000 };
  return issued.access_token;
}

// A token with more than a minute left; `force` replaces the cached one
// (after the server refused it: expired by the server's clock, revoked).
export function getExplorerToken(options: { force?: boolean; now?: () => number } = {}): Promise<string> {
  const now = options.now ?? Date.now;
  if (!options.force && cached && cached.expiresAt - now() > REFRESH_MARGIN_MS) return Promise.resolve(cached.token);
  if (!pending) {
    pending = mint(now).finally(() => {
      pending = null;
    });
  }
  return pending;
}

// At sign-out or when the session is lost: the token ends with the session.
export function forgetExplorerToken(): void {
  cached = null;
}
