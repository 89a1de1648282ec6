// Keeps secrets out of everything the client library hands back to callers.
// Every ClientError built from server or local text passes through here.
// Pure functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/client/error.h"

namespace latchkey::client::internal {

// Replaces anything shaped like a latchkey secret (lk_sec_..., lk_at_...,
// lk_key_...) with its masked form "••••" + last 4 characters.
std::string mask_secret_like(std::string_view text);

// Masks every occurrence of each non-empty `secrets` value, and anything
// shaped like a latchkey secret, in every text field of `error`.
void scrub(ClientError& error, std::initializer_list<std::string_view> secrets);
void scrub(ClientError& error, const std::vector<std::string_view>& secrets);

}  // namespace latchkey::client::internal
