// Seed 001's words for the wizard: the nine provisioning steps, and its table
// of common permission needs as starting points.
import type { Access } from "./types";

export const STEP_TITLES = [
  "Create the service account user",
  "Enable the API access permission",
  "Generate Client and Secret keys",
  "Create a Role for the integration",
  "Attach the module entitlements the integration needs to the Role",
  "Attach a Step Permission Set",
  "Grant the service account Application Entitlements",
  "Grant Build Access",
  "Grant the service account the Role",
];

// Seed 001, "Common Permission Needs": a starting point the admin adjusts.
export interface Need {
  id: string;
  label: string;
  modules: string[];
  entitlement: Access;
  steps: "origin-edit" | "all-edit" | "all-read" | "none";
  build: boolean;
}
export const NEEDS: Need[] = [
  { id: "read", label: "Read Records into a data warehouse", modules: [], entitlement: "read", steps: "all-read", build: false },
  { id: "create", label: "Create new Records from an external system", modules: ["RECORDS"], entitlement: "edit", steps: "origin-edit", build: false },
  { id: "update", label: "Update existing Records", modules: ["RECORDS"], entitlement: "edit", steps: "all-edit", build: false },
  { id: "import", label: "Bulk-import Records", modules: ["IMPORT"], entitlement: "edit", steps: "origin-edit", build: false },
  { id: "reports", label: "Read saved Table Reports", modules: ["TABLE_REPORTS_READ"], entitlement: "read", steps: "all-read", build: false },
  { id: "audit", label: "Generate audit exports", modules: ["STATUS"], entitlement: "read", steps: "all-read", build: false },
  { id: "build", label: "Modify Application design", modules: ["BUILD"], entitlement: "edit", steps: "none", build: true },
];
