// RouteTable: the whole HTTP surface as data. Each entry is a method, a path
// pattern, where the handler runs, the Requirement, and the handler; the
// table installs every entry into the router through the pipeline, so no
// route reaches a handler without its stages (api/routes.cc builds the
// table; gateway routes are entries too).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/router.h"
#include "pipeline/pipeline.h"
#include "pipeline/requirement.h"

namespace latchkey::pipeline {

struct RouteEntry {
  std::string method;
  std::string pattern;
  http::Dispatch dispatch = http::Dispatch::kInline;
  Requirement requirement;
  Handler handler;             // kInline, kBlocking
  AsyncHandler async_handler;  // kAsync
};

class RouteTable {
 public:
  void add(RouteEntry entry) { entries_.push_back(std::move(entry)); }
  void add_all(std::vector<RouteEntry> entries) {
    for (auto& e : entries) entries_.push_back(std::move(e));
  }
  const std::vector<RouteEntry>& entries() const { return entries_; }

  // Every entry, wrapped by `pipeline`, in table order.
  http::Router build_router(const std::shared_ptr<const Pipeline>& pipeline) const;

 private:
  std::vector<RouteEntry> entries_;
};

}  // namespace latchkey::pipeline
