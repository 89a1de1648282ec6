// The administrators' pages (Manage Users, the service account wizard,
// Roles & permissions, Audit), registered with the shell by app.tsx.
import type { PageRoute } from "../page";

export const adminRoutes: PageRoute[] = [];
