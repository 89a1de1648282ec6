// API answer shapes that both the administrators' pages and the profile pages
// read (docs/api-keys.md); each is declared once here.

export interface ApiKey {
  id: string;
  masked: string;
  user_id: string;
  name: string;
  role: string | null;
  scope: "read" | "write";
  status: "active" | "inactive" | "expired";
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  deactivated_at: string | null;
}
