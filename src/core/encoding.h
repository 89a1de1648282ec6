// Byte encodings: strict base64 (RFC 4648, for HTTP Basic), hex, and base62
// (the body of every latchkey secret). Pure functions, no allocation beyond
// the returned value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace latchkey {

inline constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; returns nullopt for anything else
// (bad characters, bad length, non-canonical padding).
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);

// Big-endian base62 of `bytes`, left-padded with '0' to `width` characters.
std::string base62_encode(std::span<const std::uint8_t> bytes, std::size_t width);
// Base62 of an unsigned integer, left-padded with '0' to `width` characters.
std::string base62_encode_u64(std::uint64_t value, std::size_t width);
bool is_base62(std::string_view text);

// The value of one hex digit (either case), or -1.
int hex_digit_value(char c);
// application/x-www-form-urlencoded decoding (query strings, form bodies):
// '+' is a space, %XX a byte; nullopt for a malformed %-escape.
std::optional<std::string> form_url_decode(std::string_view text);

}  // namespace latchkey
