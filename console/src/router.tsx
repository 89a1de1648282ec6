// Client-side routing on the History API under /console/. The server answers
// index.html for every /console/<path>, so each page has a real URL; links are
// real <a href> (open in a new tab works) whose plain clicks are handled here.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { PageRoute } from "./page";

export const BASE = "/console";

export interface Location {
  // Relative to /console: "/profile/api-keys".
  path: string;
  search: string;
  hash: string;
}

function current(): Location {
  let path = window.location.pathname;
  if (path.startsWith(BASE)) path = path.slice(BASE.length);
  if (path === "" || path === "/index.html") path = "/";
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return { path, search: window.location.search, hash: window.location.hash };
}

type Listener = (location: Location) => void;
const listeners = new Set<Listener>();
function notify(): void {
  const location = current();
  listeners.forEach((listener) => listener(location));
}
window.addEventListener("popstate", notify);

// Moves to a console path ("/profile?x=1#y"). `replace` keeps the history length.
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + (to.startsWith("/") ? to : `/${to}`);
  if (url === window.location.pathname + window.location.search + window.location.hash) return;
  if (options.replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
  notify();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    listeners.add(setLocation);
    setLocation(current());
    return () => {
      listeners.delete(setLocation);
    };
  }, []);
  return location;
}

export interface LinkProps extends Omit<JSX.AnchorHTMLAttributes<HTMLAnchorElement>, "href"> {
  // A console path: "/profile".
  to: string;
  children?: ComponentChildren;
}

export function Link({ to, children, onClick, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={BASE + to}
      onClick={(event) => {
        if (typeof onClick === "function") onClick(event);
        if (event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        if (rest.target && rest.target !== "_self") return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export interface Match {
  route: PageRoute;
  params: Record<string, string>;
}

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split("/")
    .map((part) => {
      if (part.startsWith(":")) {
        names.push(part.slice(1));
        return "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${source}$`), names };
}

export function matchRoute(routes: PageRoute[], path: string): Match | null {
  for (const route of routes) {
    const { regex, names } = compile(route.path);
    const found = regex.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      try {
        params[name] = decodeURIComponent(found[index + 1]);
      } catch {
        params[name] = found[index + 1];
      }
    });
    return { route, params };
  }
  return null;
}
