// The shapes of the admin API's answers that the administrators' pages read
// (docs/api.md, docs/permissions.md, docs/api-keys.md, docs/audit.md).

export type Access = "read" | "edit";

export interface User {
  id: string;
  name: string;
  type: "human" | "service";
  api_access: boolean;
  disabled: boolean;
  modules: string[];
  client_id: string | null;
  created_at: string;
  updated_at: string;
  // Issue 14 (docs/secret-age.md, docs/service-accounts.md); optional so
  // that older servers' answers still fit.
  secret?: { created_at: string; age_days: number; rotation_due: boolean } | null;
  owner?: string | null;
  contact?: string | null;
  description?: string | null;
  expires_at?: string | null;
}

export type { ApiKey } from "../apiTypes";

export interface Step {
  id: string;
  name: string;
  origin: boolean;
}

export interface Application {
  id: string;
  name: string;
  origin_step: string | null;
  steps: Step[];
  created_at: string;
}

export interface PermissionSet {
  id: string;
  name: string;
  steps: Record<string, Access>;
  created_at: string;
}

export interface Role {
  id: string;
  name: string;
  modules: string[];
  permission_sets: string[];
  created_at: string;
  members?: string[];
}

export interface Grants {
  user_id: string;
  modules: string[];
  roles: Role[];
  permission_sets: PermissionSet[];
  entitlements: Record<string, Access>;
  build_access: string[];
}

export interface AuditEvent {
  id: number;
  at: string;
  principal_id: string;
  principal_name: string;
  credential: string;
  action: string;
  resource: string;
  decision: "allow" | "deny";
  reason: string;
  client_ip: string;
  user_agent: string;
  integration: string;
  count: number;
}

export interface DependentClient {
  client_ip: string;
  user_agent: string;
  integration: string;
  credentials: string[];
  first_seen: string;
  last_seen: string;
  calls: number;
  denied: number;
}

export interface Dependents {
  user_id: string;
  name: string;
  type: string;
  days: number;
  from: string;
  to: string;
  clients: DependentClient[];
}

export interface LeastPrivilegePrincipal {
  user_id: string;
  name: string;
  type: string;
  modules_granted: string[];
  modules_unused: string[];
  roles_never_used?: string[];
  flags: string[];
}

export interface LeastPrivilegeReport {
  days: number;
  permissions_available: boolean;
  principals: LeastPrivilegePrincipal[];
}
