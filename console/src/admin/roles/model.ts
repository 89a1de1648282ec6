// What the Roles & permissions tabs share: the permission model as loaded
// from the policy API, the action runner, and name lookups.
import { api } from "../../api";
import type { Application, PermissionSet, Role, User } from "../types";
import { enc } from "../util";

export interface Model {
  modules: string[];
  applications: Application[];
  sets: PermissionSet[];
  roles: Role[];
  users: User[];
}

export async function loadModel(): Promise<Model> {
  const [m, a, s, r, u] = await Promise.all([
    api<{ modules: string[] }>("GET", "/api/v1/modules"),
    api<{ applications: Application[] }>("GET", "/api/v1/applications"),
    api<{ permission_sets: PermissionSet[] }>("GET", "/api/v1/permission-sets"),
    api<{ roles: Role[] }>("GET", "/api/v1/roles"),
    api<{ users: User[] }>("GET", "/api/v1/users"),
  ]);
  const roles = await Promise.all(r.roles.map((role) => api<Role>("GET", `/api/v1/roles/${enc(role.id)}`)));
  return { modules: m.modules, applications: a.applications, sets: s.permission_sets, roles, users: u.users };
}

// Runs one change, shows `done` or the error, reloads the model; true on success.
export type Run = (what: () => Promise<unknown>, done: string) => Promise<boolean>;

export interface SectionProps {
  model: Model;
  run: Run;
  busy: boolean;
}

export const stepLabel = (model: Model, stepId: string): string => {
  for (const app of model.applications) {
    const step = app.steps.find((s) => s.id === stepId);
    if (step) return `${app.name} › ${step.name}`;
  }
  return stepId;
};
export const userName = (model: Model, id: string) => model.users.find((u) => u.id === id)?.name ?? id;
export const appName = (model: Model, id: string) => model.applications.find((a) => a.id === id)?.name ?? id;
