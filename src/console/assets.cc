#include "console/assets.h"

#include <algorithm>

namespace latchkey::console {

AssetTable::AssetTable(std::span<const Asset> assets) {
  sorted_.reserve(assets.size());
  for (const Asset& asset : assets) sorted_.push_back(&asset);
  std::sort(sorted_.begin(), sorted_.end(),
            [](const Asset* a, const Asset* b) { return a->path < b->path; });
  index_ = find("index.html");
}

const AssetTable& AssetTable::embedded() {
  static const AssetTable table(embedded_assets());
  return table;
}

const Asset* AssetTable::find(std::string_view path) const {
  const auto at = std::lower_bound(sorted_.begin(), sorted_.end(), path,
                                   [](const Asset* a, std::string_view p) { return a->path < p; });
  return at != sorted_.end() && (*at)->path == path ? *at : nullptr;
}

}  // namespace latchkey::console
