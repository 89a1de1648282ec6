// What every page of the console receives, and how a page is registered.
// The shell (app.tsx) owns routing and navigation; areas export their pages
// as PageRoute lists (admin/index.ts for the administrators' pages).
import type { ComponentType } from "preact";
import type { ConsoleSession } from "./api";

export interface PageProps {
  session: ConsoleSession;
  // Path parameters of the route, e.g. { id: "usr_…" } for "/users/:id".
  params: Record<string, string>;
  // Moves to another console path ("/users/usr_…"), relative to /console.
  navigate: (path: string) => void;
}

export interface PageRoute {
  // Relative to /console, with ":name" parameters: "/users/:id".
  path: string;
  // The document title and the page's <h1>.
  title: string;
  // The label in the navigation; absent: not in the navigation.
  nav?: string;
  // Shown only to administrators (ADMIN module).
  adminOnly: boolean;
  component: ComponentType<PageProps>;
}
