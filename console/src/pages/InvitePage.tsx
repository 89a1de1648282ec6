// The invitation link (/console/invite#<token>): shows whose account it is,
// lets the person set a password (at least 12 characters, typed twice) and
// sends them to sign-in. The token stays in the fragment, which browsers never
// send to the server or in a Referer.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { Button, DateTime, Loading, Notice, TextField } from "../components";
import { Link } from "../router";

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_BYTES = 1024;

interface Invitation {
  username: string;
  expires_at: string;
}

type State =
  | { kind: "checking" }
  | { kind: "missing" }
  | { kind: "invalid" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; invitation: Invitation }
  | { kind: "done"; username: string };

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) return "Use at most 1024 bytes.";
  return null;
}

// The token in the link's fragment; null when the fragment is not valid
// percent-encoding (e.g. "#%E0"), which is an invalid invitation, not a crash.
function tokenOfFragment(hash: string): string | null {
  try {
    return decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return null;
  }
}

export function InvitePage() {
  const decoded = tokenOfFragment(window.location.hash);
  const token = decoded ?? "";
  const [state, setState] = useState<State>(
    decoded === null ? { kind: "invalid" } : token ? { kind: "checking" } : { kind: "missing" },
  );
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<{ password?: string | null; confirm?: string | null }>({});
  const [submitError, setSubmitError] = useState("");
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = "Set your password · latchkey console";
    if (!token) return;
    api<Invitation>("POST", "/api/v1/console/invitations/inspect", { body: { token } }).then(
      (invitation) => setState({ kind: "ready", invitation }),
      (error) => {
        if (error instanceof ApiError && (error.status === 404 || error.status === 400)) setState({ kind: "invalid" });
        else setState({ kind: "failed", message: error instanceof ApiError ? error.message : "The server could not be reached." });
      },
    );
  }, [token]);

  useEffect(() => {
    if (state.kind === "done") headingRef.current?.focus();
  }, [state.kind]);

  async function submit(event: Event) {
    event.preventDefault();
    const problems = {
      password: passwordProblem(password),
      confirm: confirm !== password ? "The two passwords are not the same." : null,
    };
    setErrors(problems);
    if (problems.password || problems.confirm) return;
    setBusy(true);
    setSubmitError("");
    try {
      await api("POST", "/api/v1/console/invitations/accept", { body: { token, password } });
      setState({ kind: "done", username: state.kind === "ready" ? state.invitation.username : "" });
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError) {
        if (error.status === 404) setState({ kind: "invalid" });
        else if (error.reason === "password_too_short") setErrors({ password: `Use at least ${MIN_PASSWORD_LENGTH} characters.` });
        else if (error.reason === "password_too_long") setErrors({ password: "Use at most 1024 bytes." });
        else if (error.status === 429)
          setSubmitError(`Too many attempts, try again in ${error.retryAfter && error.retryAfter > 0 ? error.retryAfter : 60} s.`);
        else setSubmitError(error.message);
      } else {
        setSubmitError("The server could not be reached. Try again.");
      }
    }
  }

  return (
    <main id="main" class="card-page">
      <div class="card">
        {state.kind === "done" ? (
          <>
            <h1 ref={headingRef} tabIndex={-1}>
              Your password is set
            </h1>
            <Notice kind="success">
              <p>
                You can now sign in{state.username ? <> as <strong>{state.username}</strong></> : null} with your new
                password.
              </p>
            </Notice>
            <p>
              <Link to="/sign-in" class="btn btn-primary">
                Go to sign-in
              </Link>
            </p>
          </>
        ) : (
          <>
            <h1>Set your password</h1>
            {state.kind === "checking" ? <Loading what="Checking your invitation…" /> : null}
            {state.kind === "missing" ? (
              <Notice kind="error" title="This link is incomplete">
                <p>Open the whole invitation link your administrator sent you, including the part after “#”.</p>
              </Notice>
            ) : null}
            {state.kind === "invalid" ? (
              <Notice kind="error" title="This invitation is not valid">
                <p>It has expired (invitations are valid for 24 hours), was already used, or was replaced by a newer one.</p>
                <p>Ask your administrator for a new invitation.</p>
              </Notice>
            ) : null}
            {state.kind === "failed" ? (
              <Notice kind="error" title="Could not check the invitation">
                <p>{state.message}</p>
              </Notice>
            ) : null}
            {state.kind === "ready" ? (
              <form onSubmit={submit} noValidate>
                <p>
                  Username: <strong class="invite-username">{state.invitation.username}</strong>
                </p>
                <p class="muted">
                  This invitation is valid until <DateTime value={state.invitation.expires_at} />.
                </p>
                <input type="text" name="username" autoComplete="username" value={state.invitation.username} readOnly hidden />
                <TextField
                  label="New password"
                  type="password"
                  autoComplete="new-password"
                  value={password}
                  onValue={setPassword}
                  hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
                  error={errors.password}
                />
                <TextField
                  label="Confirm password"
                  type="password"
                  autoComplete="new-password"
                  value={confirm}
                  onValue={setConfirm}
                  error={errors.confirm}
                />
                {submitError ? (
                  <Notice kind="error">
                    <p>{submitError}</p>
                  </Notice>
                ) : null}
                <Button type="submit" variant="primary" busy={busy}>
                  Set password
                </Button>
              </form>
            ) : null}
            {state.kind !== "ready" && state.kind !== "checking" ? (
              <p>
                <Link to="/sign-in">Go to sign-in</Link>
              </p>
            ) : null}
          </>
        )}
      </div>
    </main>
  );
}
