// The console's shell: checks the session at start, routes between the pages
// (the people's pages here, the administrators' from admin/index.ts), draws
// the navigation, the account menu (person icon: "Profile", "Sign out"), and sends the person
// to the sign-in page when the session is missing or lost.
import { useEffect, useRef, useState } from "preact/hooks";
import { adminRoutes } from "./admin";
import { api, ApiError, setCsrfToken, setSessionLostHandler, type ConsoleSession } from "./api";
import { Button, ErrorNotice, Loading, MenuButton, PersonIcon } from "./components";
import type { PageRoute } from "./page";
import { ApiSpecificationPage } from "./pages/explorer/ApiSpecificationPage";
import { forgetExplorerToken } from "./pages/explorer/explorerToken";
import { InvitePage } from "./pages/InvitePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ProfilePage } from "./pages/profile/ProfilePage";
import { SettingsRedirect, UsersAndApiKeysPage } from "./pages/settings/UsersAndApiKeysPage";
import { SignInPage } from "./pages/SignInPage";
import { Link, matchRoute, navigate, useLocation } from "./router";

const APP_NAME = "latchkey console";

export const personRoutes: PageRoute[] = [
  { path: "/profile", title: "Profile", nav: "Profile", adminOnly: false, component: ProfilePage },
  { path: "/profile/:tab", title: "Profile", adminOnly: false, component: ProfilePage },
  // Seed 004: "Settings > Users & API keys > API Keys tab".
  { path: "/settings", title: "Settings", nav: "Settings", adminOnly: false, component: SettingsRedirect },
  { path: "/settings/users-and-api-keys", title: "Users & API keys", adminOnly: false, component: UsersAndApiKeysPage },
  { path: "/settings/users-and-api-keys/:tab", title: "Users & API keys", adminOnly: false, component: UsersAndApiKeysPage },
  {
    path: "/api-specification",
    title: "API specification",
    nav: "API specification",
    adminOnly: false,
    component: ApiSpecificationPage,
  },
];

// The person's pages first, then the administrators'; "API specification"
// (Administration) last in the navigation.
function navRoutes(isAdmin: boolean): PageRoute[] {
  const visible = (route: PageRoute) => route.nav && (!route.adminOnly || isAdmin);
  return [
    ...personRoutes.filter((route) => visible(route) && route.path !== "/api-specification"),
    ...adminRoutes.filter(visible),
    ...personRoutes.filter((route) => visible(route) && route.path === "/api-specification"),
  ];
}

export function isAdmin(session: ConsoleSession): boolean {
  return session.user.modules.includes("ADMIN");
}

type SessionState =
  | { status: "loading" }
  | { status: "unreachable"; error: unknown }
  | { status: "anonymous"; notice?: string }
  | { status: "signed-in"; session: ConsoleSession };

function setTitle(title: string): void {
  document.title = `${title} · ${APP_NAME}`;
}

export function App() {
  const location = useLocation();
  const [state, setState] = useState<SessionState>({ status: "loading" });

  async function checkSession() {
    setState({ status: "loading" });
    try {
      const session = await api<ConsoleSession>("GET", "/api/v1/console/session");
      setCsrfToken(session.csrf_token);
      setState({ status: "signed-in", session });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setState({ status: "anonymous" });
      else setState({ status: "unreachable", error });
    }
  }

  useEffect(() => {
    setSessionLostHandler(() => {
      forgetExplorerToken();
      setCsrfToken("");
      setState((previous) =>
        previous.status === "signed-in"
          ? { status: "anonymous", notice: "Your session has ended. Sign in again to continue." }
          : previous.status === "anonymous"
            ? previous
            : { status: "anonymous" },
      );
    });
    checkSession();
  }, []);

  // Where the person goes once signed in: the page they asked for.
  const next = new URLSearchParams(location.search).get("next");
  const safeNext = next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/profile";

  useEffect(() => {
    if (location.path === "/invite") return;
    // /console/ itself shows the sign-in form where it is; any other page
    // moves to /sign-in and remembers where the person wanted to go.
    if (state.status === "anonymous" && location.path !== "/sign-in" && location.path !== "/") {
      navigate(`/sign-in?next=${encodeURIComponent(location.path + location.search)}`, { replace: true });
    } else if (state.status === "signed-in" && (location.path === "/sign-in" || location.path === "/")) {
      navigate(location.path === "/" ? "/profile" : safeNext, { replace: true });
    }
  }, [state.status, location.path]);

  if (location.path === "/invite") return <InvitePage />;

  if (state.status === "loading") {
    return (
      <main id="main" class="card-page">
        <div class="card">
          <Loading what="Loading the console…" />
        </div>
      </main>
    );
  }

  if (state.status === "unreachable") {
    document.title = `Unavailable · ${APP_NAME}`;
    return (
      <main id="main" class="card-page">
        <div class="card">
          <h1>The console is unavailable</h1>
          <ErrorNotice error={state.error} />
          <Button variant="primary" onClick={checkSession}>
            Try again
          </Button>
        </div>
      </main>
    );
  }

  if (state.status === "anonymous") {
    return (
      <SignInPage
        notice={state.notice}
        onSignedIn={(session) => {
          setCsrfToken(session.csrf_token);
          setState({ status: "signed-in", session });
          navigate(safeNext, { replace: true });
        }}
      />
    );
  }

  return (
    <Shell
      session={state.session}
      path={location.path}
      onSignedOut={() => {
        forgetExplorerToken();
        setCsrfToken("");
        setState({ status: "anonymous", notice: "You have signed out." });
        navigate("/sign-in", { replace: true });
      }}
    />
  );
}

interface ShellProps {
  session: ConsoleSession;
  path: string;
  onSignedOut: () => void;
}

function Shell({ session, path, onSignedOut }: ShellProps) {
  const admin = isAdmin(session);
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [signOutError, setSignOutError] = useState<unknown>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const shownPage = useRef<unknown>(null);

  const routes = [...personRoutes, ...adminRoutes];
  const match = matchRoute(routes, path);
  const allowed = match && (!match.route.adminOnly || admin);
  const title = allowed ? match.route.title : "Page not found";
  useEffect(() => setTitle(title), [title]);

  const Page = allowed ? match.route.component : NotFoundPage;

  // After moving to another page, focus its heading so that screen readers
  // and keyboard users start there; not on the first render, and not when
  // the same page only changed its state (a Profile tab keeps the focus).
  useEffect(() => {
    setMenuOpen(false);
    const previous = shownPage.current;
    shownPage.current = Page;
    if (previous !== null && previous !== Page) headingRef.current?.focus();
  }, [path]);

  async function signOut() {
    setSigningOut(true);
    setSignOutError(null);
    try {
      await api("POST", "/api/v1/console/sign-out");
      onSignedOut();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // the session-lost handler took over
      setSignOutError(error);
      setSigningOut(false);
    }
  }

  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="shell-header">
        <Link to="/profile" class="brand">
          latchkey
        </Link>
        <Button
          className="nav-toggle"
          aria-expanded={menuOpen ? "true" : "false"}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </Button>
        <nav id="primary-nav" aria-label="Main" class={menuOpen ? "nav" : "nav nav-collapsed"}>
          <ul>
            {navRoutes(admin).map((route) => {
              const current = path === route.path || path.startsWith(`${route.path}/`);
              return (
                <li key={route.path}>
                  <Link to={route.path} aria-current={current ? "page" : undefined}>
                    {route.nav}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="user-menu">
          {/* Seed 000: "the Person icon in the top right corner and then the Profile button". */}
          <MenuButton
            className="account-menu"
            label={signingOut ? `${session.user.name} (signing out…)` : session.user.name}
            ariaLabel={`Account menu for ${session.user.name}`}
            icon={<PersonIcon />}
            items={[
              { label: "Profile", onSelect: () => navigate("/profile") },
              { label: "Sign out", onSelect: signOut, disabled: signingOut },
            ]}
          />
        </div>
      </header>
      <main id="main" class="shell-main" tabIndex={-1}>
        {signOutError ? <ErrorNotice error={signOutError} title="Could not sign out" /> : null}
        <h1 ref={headingRef} tabIndex={-1}>
          {title}
        </h1>
        <Page session={session} params={allowed ? match.params : {}} navigate={(to: string) => navigate(to)} />
      </main>
    </>
  );
}
