// The API explorer's token (seed 004: "the explorer automatically handles
// token generation"): POST /api/v1/console/explorer-token mints a short-lived
// JWT for the signed-in person (5 minutes, ends with the session). It is kept
// in memory only, reused while it has more than a minute left, and replaced
// before it expires; nobody ever pastes a token.
import { api } from "../../api";

const REFRESH_MARGIN_MS = 60_000;

interface Cached {
  token: string;
  expiresAt: number;
}

let cached: Cached | null = null;
let pending: Promise<string> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

export interface ExplorerTokenInfo {
  expiresAt: number | null;
}

type Listener = (info: ExplorerTokenInfo) => void;
const listeners = new Set<Listener>();
function notify(): void {
  listeners.forEach((listener) => listener({ expiresAt: cached?.expiresAt ?? null }));
}
export function onExplorerTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function mint(now: () => number): Promise<string> {
  const issued = await api<{ access_token: string; expires_in: number }>("POST", "/api/v1/console/explorer-token");
  cached = { token: issued.access_token, expiresAt: now() + issued.expires_in * 1000 };
  // Refresh ahead of expiry while the explorer is open, so that a "Try"
  // never waits for a token and never sends an expired one.
  clearTimeout(refreshTimer);
  const delay = Math.max(5_000, cached.expiresAt - now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(() => {
    if (listeners.size > 0) getExplorerToken({ force: true }).catch(() => {});
  }, delay);
  notify();
  return issued.access_token;
}

// A token with more than a minute left; `force` replaces the cached one
// (after it was refused, e.g. revoked by a "Try" of DELETE /api/v1/account/token).
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
  clearTimeout(refreshTimer);
  notify();
}
