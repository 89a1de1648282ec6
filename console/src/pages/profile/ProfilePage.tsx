// Profile (seeds 000, 002, 004): the tabs "Access Key", "API Keys" and
// "Sessions", each with its own URL (/profile/access-key, …).
import type { PageProps } from "../../page";
import { Tabs } from "../../components";
import { AccessKeyTab } from "./AccessKeyTab";
import { ApiKeysTab } from "./ApiKeysTab";
import { SessionsTab } from "./SessionsTab";

export const PROFILE_TABS = [
  { id: "access-key", label: "Access Key" },
  { id: "api-keys", label: "API Keys" },
  { id: "sessions", label: "Sessions" },
];

export function ProfilePage({ session, params, navigate }: PageProps) {
  const known = PROFILE_TABS.some((tab) => tab.id === params.tab);
  const selected = known ? params.tab : "access-key";
  return (
    <div class="profile">
      <p class="muted">
        Signed in as <strong>{session.user.name}</strong>
        {session.user.type === "service" ? " (service account)" : ""}.
      </p>
      {params.tab && !known ? <p role="alert">There is no tab “{params.tab}”: showing Access Key.</p> : null}
      <Tabs
        label="Profile"
        idPrefix="profile-tab"
        tabs={PROFILE_TABS}
        selected={selected}
        onSelect={(id) => navigate(`/profile/${id}`)}
      >
        {selected === "access-key" ? <AccessKeyTab session={session} /> : null}
        {selected === "api-keys" ? <ApiKeysTab session={session} /> : null}
        {selected === "sessions" ? <SessionsTab session={session} /> : null}
      </Tabs>
    </div>
  );
}
