// Sign-in: "Username", "Password", "Sign in" (docs/console.md). One message
// for every refused sign-in (the server does not say which part was wrong);
// throttling says how long to wait.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type ConsoleSession } from "../api";
import { Button, Notice, TextField } from "../components";

export interface SignInPageProps {
  notice?: string;
  onSignedIn: (session: ConsoleSession) => void;
}

export function signInErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "Wrong username or password.";
    if (error.status === 429) {
      const wait = error.retryAfter && error.retryAfter > 0 ? Math.ceil(error.retryAfter) : 60;
      return `Too many attempts, try again in ${wait} s.`;
    }
    if (error.status === 400) return "Enter a username and a password.";
    return error.message;
  }
  return "The server could not be reached. Check your connection and try again.";
}

export function SignInPage({ notice, onSignedIn }: SignInPageProps) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [missing, setMissing] = useState<{ username?: string; password?: string }>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Sign in · latchkey console";
    usernameRef.current?.focus();
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    const problems: typeof missing = {};
    if (!username.trim()) problems.username = "Enter your username.";
    if (!password) problems.password = "Enter your password.";
    setMissing(problems);
    if (problems.username || problems.password) {
      (problems.username ? usernameRef : passwordRef).current?.focus();
      return;
    }
    setBusy(true);
    setError("");
    try {
      const session = await api<ConsoleSession>("POST", "/api/v1/console/sign-in", {
        body: { username: username.trim(), password },
      });
      onSignedIn(session);
    } catch (caught) {
      setError(signInErrorText(caught));
      setPassword("");
      setBusy(false);
      passwordRef.current?.focus();
    }
  }

  return (
    <main id="main" class="card-page">
      <div class="card">
        <h1>Sign in to latchkey</h1>
        {notice && !error ? <Notice kind="info">{notice}</Notice> : null}
        <div role="alert" class="alert-slot">
          {error ? (
            <div class="notice notice-error">
              <p>{error}</p>
            </div>
          ) : null}
        </div>
        <form onSubmit={submit} noValidate>
          <TextField
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            value={username}
            onValue={setUsername}
            error={missing.username}
            inputRef={usernameRef}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValue={setPassword}
            error={missing.password}
            inputRef={passwordRef}
          />
          <Button type="submit" variant="primary" busy={busy}>
            Sign in
          </Button>
        </form>
        <p class="muted small">
          New here? Use the invitation link your administrator sent you. Service accounts do not sign in: they use
          their Client Secret or API keys.
        </p>
      </div>
    </main>
  );
}
