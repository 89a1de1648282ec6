// A small asset table for the console tests, independent of the real build.
#pragma once

#include <array>

#include "console/assets.h"

namespace latchkey::console::testing {

inline constexpr std::array<Asset, 4> kTestAssets = {{
    {"index.html", "text/html; charset=utf-8", "\"1111\"", "<!doctype html><main></main>"},
    {"assets/app-AbC1.js", "text/javascript; charset=utf-8", "\"2222\"", "console.log(1);"},
    {"assets/app-XyZ2.css", "text/css; charset=utf-8", "\"3333\"", "main{}"},
    {"favicon.svg", "image/svg+xml", "\"4444\"", "<svg/>"},
}};

}  // namespace latchkey::console::testing
