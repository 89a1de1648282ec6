// How a key's fields read on screen.
import type { ApiKey, RoleSummary } from "./types";

export const DEFAULT_VALIDITY_DAYS = 90;
export const MAX_VALIDITY_DAYS = 365;

export function scopeLabel(scope: ApiKey["scope"]): string {
  return scope === "read" ? "Read-only" : "Write";
}

export function statusLabel(status: ApiKey["status"]): string {
  return status === "active" ? "Active" : status === "inactive" ? "Inactive" : "Expired";
}

export function roleLabel(role: string | null, roles: RoleSummary[]): string {
  if (!role) return "All my roles";
  return roles.find((candidate) => candidate.id === role || candidate.name === role)?.name ?? role;
}

// The validity field: whole days, 1 to 365.
export function validityProblem(text: string, max = MAX_VALIDITY_DAYS): string | null {
  if (!/^\d+$/.test(text.trim())) return "Enter a whole number of days.";
  const days = Number(text.trim());
  if (days < 1) return "A key is valid for at least 1 day.";
  if (days > max) return `An API key is valid for at most one year (${max} days).`;
  return null;
}

export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Enter a name that says what the key is for.";
  if (new TextEncoder().encode(trimmed).length > 128) return "Use at most 128 bytes.";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return "The name must not contain control characters.";
  return null;
}
