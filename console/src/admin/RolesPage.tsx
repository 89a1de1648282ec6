// Roles & permissions (seed 001's permission model, docs/permissions.md):
// roles with their modules and step permission sets, applications and their
// steps, permission sets, and per user: role membership, application
// entitlements and build access. Everything through the policy API.
import { useEffect, useState } from "preact/hooks";
import { Loading, Notice, Tabs } from "../components";
import type { PageProps } from "../page";
import { ApplicationsTab } from "./roles/ApplicationsTab";
import { loadModel, type Model, type Run } from "./roles/model";
import { PermissionSetsTab } from "./roles/PermissionSetsTab";
import { RolesTab } from "./roles/RolesTab";
import { UserGrantsTab } from "./roles/UserGrantsTab";
import { errorText } from "./util";

const TABS = [
  { id: "roles", label: "Roles" },
  { id: "applications", label: "Applications and steps" },
  { id: "sets", label: "Step permission sets" },
  { id: "grants", label: "Entitlements and build access" },
];

export function RolesPage(_: PageProps) {
  const [model, setModel] = useState<Model | null>(null);
  const [loadError, setLoadError] = useState("");
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState("roles");

  const reload = () =>
    loadModel()
      .then((m) => {
        setModel(m);
        setLoadError("");
      })
      .catch((e) => setLoadError(errorText(e)));
  useEffect(() => {
    reload();
  }, []);

  const run: Run = async (what, text) => {
    setBusy(true);
    setError("");
    setDone("");
    try {
      await what();
      setDone(text);
      await reload();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <Notice kind="error">Could not load the permission model: {loadError}</Notice>;
  if (!model) return <Loading what="Loading roles and permissions…" />;

  return (
    <div class="lk-admin">
      <div aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {done && <Notice kind="success">{done}</Notice>}
      </div>
      <Tabs
        label="Parts of the permission model"
        tabs={TABS}
        selected={tab}
        onSelect={(id) => {
          setTab(id);
          setError("");
          setDone("");
        }}
        idPrefix="lk-roles-tab"
      >
        {tab === "roles" && <RolesTab model={model} run={run} busy={busy} />}
        {tab === "applications" && <ApplicationsTab model={model} run={run} busy={busy} />}
        {tab === "sets" && <PermissionSetsTab model={model} run={run} busy={busy} />}
        {tab === "grants" && <UserGrantsTab model={model} run={run} busy={busy} />}
      </Tabs>
    </div>
  );
}
