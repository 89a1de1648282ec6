// The shapes the profile pages read (docs/api.md, docs/api-keys.md,
// docs/jwt.md, docs/console.md).

import type { ApiKey } from "../../apiTypes";

export interface UserRecord {
  id: string;
  name: string;
  type: "human" | "service";
  api_access: boolean;
  disabled: boolean;
  modules: string[];
  client_id: string | null;
  created_at?: string;
  updated_at?: string;
}

export type { ApiKey } from "../../apiTypes";

export interface CreatedApiKey extends ApiKey {
  api_key: string;
}

export interface KeySession {
  session_id: string;
  status: "active" | "expired" | "revoked";
  created_at: string;
  token_issued_at: string | null;
  token_expires_at: string | null;
  revoked_at: string | null;
}

export interface RoleSummary {
  id: string;
  name: string;
}

export interface Grants {
  user_id: string;
  roles: RoleSummary[];
}

export interface ConsoleSessionRow {
  id: string;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
  ip: string;
  user_agent: string;
  current: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export interface AccessKeyResponse {
  user_id: string;
  client_id: string;
  client_secret: string;
}
