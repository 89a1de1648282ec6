#include "http/message.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace latchkey::http {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

namespace {

std::uint32_t load_length(const char* at) {
  std::uint32_t n;
  std::memcpy(&n, at, sizeof n);
  return n;
}

void store_length(char* at, std::size_t n) {
  const auto v = static_cast<std::uint32_t>(n);
  std::memcpy(at, &v, sizeof v);
}

}  // namespace

HeaderList::HeaderList(std::initializer_list<HeaderView> headers) {
  std::size_t bytes = 0;
  for (const HeaderView& h : headers) bytes += h.name.size() + h.value.size();
  reserve(headers.size(), bytes);
  for (const HeaderView& h : headers) add(h.name, h.value);
}

HeaderList::HeaderList(HeaderList&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {
  other.bytes_.clear();
}

HeaderList& HeaderList::operator=(HeaderList&& other) noexcept {
  if (this != &other) {
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void HeaderList::add(std::string_view name, std::string_view value) {
  if (name.size() > UINT32_MAX || value.size() > UINT32_MAX) {
    throw std::length_error("HeaderList: header longer than 4 GiB");
  }
  const std::size_t at = bytes_.size();
  bytes_.resize(at + kEntryPrefix + name.size() + value.size());
  char* out = bytes_.data() + at;
  store_length(out, name.size());
  store_length(out + 4, value.size());
  if (!name.empty()) std::memcpy(out + kEntryPrefix, name.data(), name.size());
  if (!value.empty()) std::memcpy(out + kEntryPrefix + name.size(), value.data(), value.size());
  ++size_;
}

void HeaderList::reserve(std::size_t count, std::size_t bytes) {
  bytes_.reserve(bytes_.size() + count * kEntryPrefix + bytes);
}

void HeaderList::clear() {
  bytes_.clear();
  size_ = 0;
}

HeaderList::const_iterator HeaderList::begin() const { return const_iterator(bytes_.data()); }

HeaderList::const_iterator HeaderList::end() const {
  return const_iterator(bytes_.data() + bytes_.size());
}

HeaderView HeaderList::const_iterator::operator*() const {
  const std::uint32_t name_size = load_length(at_);
  const std::uint32_t value_size = load_length(at_ + 4);
  const char* name = at_ + kEntryPrefix;
  return HeaderView(std::string_view(name, name_size),
                    std::string_view(name + name_size, value_size));
}

HeaderList::const_iterator& HeaderList::const_iterator::operator++() {
  at_ += kEntryPrefix + load_length(at_) + load_length(at_ + 4);
  return *this;
}

std::optional<std::string_view> HeaderList::find(std::string_view name) const {
  const char* at = bytes_.data();
  const char* const end = at + bytes_.size();
  while (at != end) {
    const std::uint32_t name_size = load_length(at);
    const std::uint32_t value_size = load_length(at + 4);
    const char* entry_name = at + kEntryPrefix;
    if (name_size == name.size() && iequals(std::string_view(entry_name, name_size), name)) {
      return std::string_view(entry_name + name_size, value_size);
    }
    at = entry_name + name_size + value_size;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return headers.find(name);
}

void Response::set_header(std::string name, std::string value) {
  for (auto& h : headers) {
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json"});
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace latchkey::http
