// The administrators' pages (Manage Users, a user's profile, the service
// account wizard, Roles & permissions, Audit), registered with the shell by
// app.tsx.
import type { PageRoute } from "../page";
import "./admin.css";
import { AuditPage } from "./AuditPage";
import { RolesPage } from "./RolesPage";
import { ServiceAccountWizard } from "./ServiceAccountWizard";
import { UserProfilePage } from "./UserProfilePage";
import { UsersPage } from "./UsersPage";

export const adminRoutes: PageRoute[] = [
  { path: "/users", title: "Manage Users", nav: "Manage Users", adminOnly: true, component: UsersPage },
  { path: "/users/:id", title: "User profile", adminOnly: true, component: UserProfilePage },
  {
    path: "/service-accounts/new",
    title: "Provisioning a Service Account",
    nav: "New service account",
    adminOnly: true,
    component: ServiceAccountWizard,
  },
  { path: "/roles", title: "Roles & permissions", nav: "Roles & permissions", adminOnly: true, component: RolesPage },
  { path: "/audit", title: "Audit", nav: "Audit", adminOnly: true, component: AuditPage },
];
