#include "api/audit_handlers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/json_io.h"
#include "api/origin_json.h"
#include "api/request_auth.h"
#include "audit/audit_format.h"
#include "audit/audit_log.h"
#include "audit/audit_query.h"
#include "authz/permission_service.h"
#include "store/audit_store.h"

namespace latchkey::api {
namespace {

constexpr std::int64_t kDefaultReportDays = 30;
constexpr std::int64_t kMaxReportDays = 3650;

// Admin reads of the trail are themselves audited (after the read, so that
// a query never returns its own record).
Result<std::shared_ptr<const Principal>> admin_caller(const ApiContext& ctx, pipeline::Exchange& ex,
                                                      std::string_view action,
                                                      std::string_view resource) {
  auto actor = verified_caller(ex);
  if (!actor) return fail(actor.error());
  if (auto s = require_admin(**actor); !s) {
    AuditEvent event =
        audit_event(ctx, ex.request(), actor->get(), std::string(action), std::string(resource));
    event.decision = AuditDecision::kDeny;
    event.reason = "admin_required";
    audit(ex, std::move(event));
    return fail(s.error());
  }
  // Read your writes: what was recorded before this call is stored first.
  if (ctx.audit != nullptr) (void)ctx.audit->flush();
  return actor;
}

AuditStore& trail(const ApiContext& ctx) { return ctx.store.audit(); }

Result<std::int64_t> days_param(const audit::QueryParams& params) {
  auto text = audit::param(params, "days");
  if (!text) return kDefaultReportDays;
  std::int64_t days = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), days);
  if (ec != std::errc() || end != text->data() + text->size() || days < 1 ||
      days > kMaxReportDays) {
    return fail(Error::invalid_request("days must be an integer between 1 and " +
                                       std::to_string(kMaxReportDays)));
  }
  return days;
}

// --- least privilege --------------------------------------------------------

// The module an action needs (seed 001 "Common Permission Needs"); empty for
// read_records, which needs none.
std::string_view module_of(policy::Action action) {
  switch (action) {
    case policy::Action::kCreateRecord:
    case policy::Action::kUpdateRecord:
      return policy::kModuleRecords;
    case policy::Action::kBulkImport:
      return policy::kModuleImport;
    case policy::Action::kReadTableReport:
      return policy::kModuleTableReportsRead;
    case policy::Action::kAuditExport:
      return policy::kModuleStatus;
    case policy::Action::kModifyApplicationDesign:
      return policy::kModuleBuild;
    case policy::Action::kReadRecords:
      return {};
  }
  return {};
}

// Actions recorded by endpoints that only ADMIN may call: an allowed one
// means the principal used ADMIN.
bool is_admin_action(std::string_view action) {
  static constexpr std::array<std::string_view, 15> kAdminPrefixes = {"user.create",
                                                                      "user.update",
                                                                      "user.list",
                                                                      "user.tokens.revoke",
                                                                      "user.role.",
                                                                      "user.entitlement.",
                                                                      "user.build_access.",
                                                                      "audit.",
                                                                      "report.",
                                                                      "api_key.report",
                                                                      "application.",
                                                                      "permission_set.",
                                                                      "role.",
                                                                      "step.",
                                                                      "policy.what_if"};
  return std::any_of(kAdminPrefixes.begin(), kAdminPrefixes.end(),
                     [&](std::string_view prefix) { return action.starts_with(prefix); });
}

// "application/app_1/steps/stp_a,stp_b" -> app_1 and {stp_a, stp_b}.
void parse_resource(std::string_view resource, std::string& application,
                    std::vector<std::string>& steps) {
  constexpr std::string_view kApp = "application/";
  if (!resource.starts_with(kApp)) return;
  resource.remove_prefix(kApp.size());
  const auto slash = resource.find('/');
  application = std::string(resource.substr(0, slash));
  if (slash == std::string_view::npos) return;
  std::string_view rest = resource.substr(slash + 1);
  constexpr std::string_view kSteps = "steps/";
  if (!rest.starts_with(kSteps)) return;
  rest.remove_prefix(kSteps.size());
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    steps.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

struct Usage {
  std::set<std::string> modules;       // needed by allowed actions
  std::set<std::string> applications;  // touched by allowed actions
  std::set<std::string> steps;         // touched by allowed actions
  bool used_admin = false;
  Json actions = Json::array();
};

Json principal_report(const User& user, const Usage& usage,
                      const policy::EffectivePermissions* permissions) {
  std::set<std::string> granted(user.modules.begin(), user.modules.end());
  if (permissions != nullptr) granted = permissions->modules;
  std::set<std::string> used = usage.modules;
  if (usage.used_admin) used.insert(std::string(kModuleAdmin));

  Json unused_modules = Json::array();
  for (const std::string& m : granted) {
    if (!used.contains(m)) unused_modules.push_back(m);
  }
  Json flags = Json::array();
  const bool admin = granted.contains(std::string(kModuleAdmin));
  if (admin && user.type == UserType::kService) flags.push_back("admin_on_service_account");
  if (admin && !usage.used_admin) flags.push_back("admin_unused");
  if (!unused_modules.empty()) flags.push_back("unused_modules");

  Json report = {{"user_id", user.id},
                 {"name", user.name},
                 {"type", to_string(user.type)},
                 {"disabled", user.disabled},
                 {"api_access", user.api_access},
                 {"modules_granted", granted},
                 {"modules_used", used},
                 {"modules_unused", unused_modules},
                 {"actions_used", usage.actions}};
  if (permissions == nullptr) {
    report["roles"] = nullptr;
    report["applications"] = nullptr;
  } else {
    Json roles = Json::array();
    Json unused_roles = Json::array();
    for (const policy::RolePermissions& role : permissions->roles) {
      bool role_used = std::any_of(role.modules.begin(), role.modules.end(),
                                   [&](const std::string& m) { return used.contains(m); });
      for (const auto& [step, access] : role.steps) role_used |= usage.steps.contains(step);
      roles.push_back({{"id", role.role_id},
                       {"name", role.role_name},
                       {"modules", role.modules},
                       {"permission_sets", role.permission_sets},
                       {"used", role_used}});
      if (!role_used) unused_roles.push_back(role.role_id);
    }
    Json applications = Json::array();
    bool unused_entitlement = false;
    for (const auto& [application, access] : permissions->entitlements) {
      const bool app_used = usage.applications.contains(application);
      unused_entitlement |= !app_used;
      applications.push_back({{"application_id", application},
                              {"access", policy::to_string(access)},
                              {"build_access", permissions->build_access.contains(application)},
                              {"used", app_used}});
    }
    report["roles"] = std::move(roles);
    report["roles_never_used"] = unused_roles;
    report["applications"] = std::move(applications);
    if (!unused_roles.empty()) flags.push_back("unused_roles");
    if (unused_entitlement) flags.push_back("unused_entitlements");
  }
  report["flags"] = std::move(flags);
  return report;
}

}  // namespace

http::Response list_audit_events(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ctx, ex, "audit.query", "audit");
    if (!actor) return fail(actor.error());
    auto params = audit::parse_query_string(request.query(), {"principal", "from", "to", "decision",
                                                              "action", "key", "limit", "cursor"});
    if (!params) return fail(params.error());
    auto query = audit::parse_audit_filters(*params, audit::kDefaultAuditPageSize,
                                            audit::kMaxAuditListPageSize);
    if (!query) return fail(query.error());
    auto page = trail(ctx).query(*query);
    if (!page) return fail(page.error());
    Json events = Json::array();
    for (const AuditEvent& event : page->events) events.push_back(audit::event_to_json(event));
    Json body = {{"events", std::move(events)}, {"next_cursor", nullptr}};
    if (page->next) body["next_cursor"] = audit::encode_cursor(*page->next);
    audit(ex, audit_event(ctx, request, actor->get(), "audit.query", "audit"));
    http::Response r = json_response(200, body);
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response export_audit_events(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ctx, ex, "audit.export", "audit");
    if (!actor) return fail(actor.error());
    auto params = audit::parse_query_string(
        request.query(),
        {"format", "principal", "from", "to", "decision", "action", "key", "limit", "cursor"});
    if (!params) return fail(params.error());
    const std::string_view format = audit::param(*params, "format").value_or("jsonl");
    if (format != "jsonl" && format != "csv") {
      return fail(Error::invalid_request("format must be jsonl or csv"));
    }
    auto query = audit::parse_audit_filters(*params, kMaxAuditPageSize, kMaxAuditPageSize);
    if (!query) return fail(query.error());
    auto page = trail(ctx).query(*query);
    if (!page) return fail(page.error());

    http::Response r;
    r.status = 200;
    if (format == "csv") {
      r.body = audit::csv_header();
      for (const AuditEvent& event : page->events) r.body += audit::event_to_csv(event);
      r.set_header("Content-Type", "text/csv; charset=utf-8");
      r.set_header("Content-Disposition", "attachment; filename=\"audit.csv\"");
    } else {
      for (const AuditEvent& event : page->events) r.body += audit::event_to_jsonl(event);
      r.set_header("Content-Type", "application/x-ndjson");
      r.set_header("Content-Disposition", "attachment; filename=\"audit.jsonl\"");
    }
    // More than one export's worth: the next one continues here.
    if (page->next) r.set_header("X-Next-Cursor", audit::encode_cursor(*page->next));
    audit(ex, audit_event(ctx, request, actor->get(), "audit.export", "audit"));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response user_dependents(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    const std::string resource = "user/" + std::string(params.get("id"));
    auto actor = admin_caller(ctx, ex, "report.dependents", resource);
    if (!actor) return fail(actor.error());
    auto query = audit::parse_query_string(request.query(), {"days"});
    if (!query) return fail(query.error());
    auto days = days_param(*query);
    if (!days) return fail(days.error());
    auto user = ctx.users.get(**actor, params.get("id"));
    if (!user) return fail(user.error());

    const Instant to = ctx.clock.now() + Duration(1);
    const Instant from = to - std::chrono::hours(24 * *days);
    auto clients = trail(ctx).clients_of(user->id, from, to);
    if (!clients) return fail(clients.error());
    Json list = Json::array();
    for (const AuditClient& c : *clients) {
      list.push_back({{"client_ip", c.client_ip},
                      {"user_agent", c.user_agent},
                      {"integration", c.integration},
                      {"credentials", c.credentials},
                      {"first_seen", format_rfc3339(c.first_seen)},
                      {"last_seen", format_rfc3339(c.last_seen)},
                      {"calls", c.calls},
                      {"denied", c.denied}});
    }
    // The token-interference alarm (docs/origin-restrictions.md).
    auto interference = interference_json(ctx, user->id);
    if (!interference) return fail(interference.error());
    audit(ex, audit_event(ctx, request, actor->get(), "report.dependents", "user/" + user->id));
    Json body{{"user_id", user->id},           {"name", user->name},
              {"type", to_string(user->type)}, {"days", *days},
              {"from", format_rfc3339(from)},  {"to", format_rfc3339(to)},
              {"clients", std::move(list)},    {"interference", std::move(*interference)}};
    // Issue 14: who owns a service account and how to reach them (seed 001:
    // on-call must find who depends on an account).
    add_service_account_fields(body, *user);
    body["disabled"] = user->disabled;
    http::Response r = json_response(200, body);
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response least_privilege_report(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ctx, ex, "report.least_privilege", "reports/least-privilege");
    if (!actor) return fail(actor.error());
    auto query = audit::parse_query_string(request.query(), {"days"});
    if (!query) return fail(query.error());
    auto days = days_param(*query);
    if (!days) return fail(days.error());
    auto users = ctx.users.list(**actor);
    if (!users) return fail(users.error());

    const Instant to = ctx.clock.now() + Duration(1);
    const Instant from = to - std::chrono::hours(24 * *days);
    auto uses = trail(ctx).action_usage(from, to);
    if (!uses) return fail(uses.error());
    std::map<std::string, Usage, std::less<>> usage;
    for (const AuditActionUse& use : *uses) {
      Usage& u = usage[use.principal_id];
      u.actions.push_back({{"action", use.action},
                           {"resource", use.resource},
                           {"allowed", use.allowed},
                           {"denied", use.denied},
                           {"last_seen", format_rfc3339(use.last_seen)}});
      if (use.allowed == 0) continue;
      if (is_admin_action(use.action)) u.used_admin = true;
      constexpr std::string_view kAuthorize = "authorize.";
      if (!use.action.starts_with(kAuthorize)) continue;
      const auto action =
          policy::parse_action(std::string_view(use.action).substr(kAuthorize.size()));
      if (!action) continue;
      if (auto module = module_of(*action); !module.empty()) u.modules.insert(std::string(module));
      std::string application;
      std::vector<std::string> steps;
      parse_resource(use.resource, application, steps);
      if (!application.empty()) u.applications.insert(application);
      u.steps.insert(steps.begin(), steps.end());
    }

    Json principals = Json::array();
    const Usage none;
    for (const User& user : *users) {
      std::optional<policy::EffectivePermissions> permissions;
      if (ctx.permissions != nullptr) {
        auto effective = ctx.permissions->effective_permissions(user.id);
        if (!effective) return fail(effective.error());
        permissions = std::move(*effective);
      }
      auto it = usage.find(user.id);
      principals.push_back(principal_report(user, it == usage.end() ? none : it->second,
                                            permissions ? &*permissions : nullptr));
    }
    audit(ex, audit_event(ctx, request, actor->get(), "report.least_privilege",
                          "reports/least-privilege"));
    http::Response r =
        json_response(200, Json{{"days", *days},
                                {"from", format_rfc3339(from)},
                                {"to", format_rfc3339(to)},
                                {"permissions_available", ctx.permissions != nullptr},
                                {"principals", std::move(principals)}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
