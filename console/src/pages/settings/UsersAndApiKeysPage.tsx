// Settings → Users & API keys (seed 004: "Navigate to Settings > Users & API
// keys > API Keys tab", "Click New API Key"): the tabs "Users" and "API Keys",
// each with its own URL. The API Keys tab is the Profile's (one component),
// with its button and dialog named "New API Key".
import { useEffect } from "preact/hooks";
import { Notice, Tabs } from "../../components";
import type { PageProps } from "../../page";
import { Link, navigate } from "../../router";
import { ApiKeysTab } from "../profile/ApiKeysTab";

export const SETTINGS_PATH = "/settings/users-and-api-keys";

export const SETTINGS_TABS = [
  { id: "users", label: "Users" },
  { id: "api-keys", label: "API Keys" },
];

// /settings has one page so far: it moves there, keeping the history length.
export function SettingsRedirect() {
  useEffect(() => navigate(SETTINGS_PATH, { replace: true }), []);
  return null;
}

export function UsersAndApiKeysPage({ session, params, navigate: go }: PageProps) {
  const known = SETTINGS_TABS.some((tab) => tab.id === params.tab);
  const selected = known ? params.tab : "users";
  return (
    <div class="settings">
      {params.tab && !known ? <p role="alert">There is no tab “{params.tab}”: showing Users.</p> : null}
      <Tabs
        label="Users & API keys"
        idPrefix="settings-tab"
        tabs={SETTINGS_TABS}
        selected={selected}
        onSelect={(id) => go(`${SETTINGS_PATH}/${id}`)}
      >
        {selected === "users" ? <UsersTab admin={session.user.modules.includes("ADMIN")} /> : null}
        {selected === "api-keys" ? <ApiKeysTab session={session} newKeyLabel="New API Key" /> : null}
      </Tabs>
    </div>
  );
}

function UsersTab({ admin }: { admin: boolean }) {
  return (
    <section aria-labelledby="settings-users-heading">
      <h2 id="settings-users-heading">Users</h2>
      {admin ? (
        <>
          <p>
            Invite people, turn their API access on or off, disable accounts and reset Client Secrets on{" "}
            <Link to="/users">Manage Users</Link>. Service accounts (programs without a person) are created with{" "}
            <Link to="/service-accounts/new">New service account</Link>; the roles a key may carry are on{" "}
            <Link to="/roles">Roles &amp; permissions</Link>.
          </p>
        </>
      ) : (
        <Notice kind="info">
          <p>
            Administrators manage users: ask one to invite someone, to turn API access on or off, or to change a role.
            Your own API keys are on the “API Keys” tab.
          </p>
        </Notice>
      )}
    </section>
  );
}
