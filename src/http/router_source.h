// The router a running server matches requests against, replaceable while
// it serves (latchkeyd's SIGHUP reload, docs/operations.md).
//
// Each connection keeps the snapshot it last used and the generation it
// came with; per request it does one atomic load of the generation and
// takes the new snapshot only when that changed. So the hot path has no
// lock, a keep-alive connection sees new routes from its next request on,
// and a request in flight keeps the router (handlers, patterns) it was
// matched against alive until it is answered.
//
// Thread-safety: publish() and current() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "http/router.h"

namespace latchkey::http {

class RouterSource {
 public:
  explicit RouterSource(std::shared_ptr<const Router> router) : router_(std::move(router)) {}

  // Makes `router` the one every connection uses for its next request.
  void publish(std::shared_ptr<const Router> router) {
    router_.store(std::move(router), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }

  std::shared_ptr<const Router> current() const { return router_.load(std::memory_order_acquire); }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const Router>> router_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace latchkey::http
