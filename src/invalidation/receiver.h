// Receiver: a node's side of the bus, independent of the transport. It
// applies other nodes' messages and owns the fail-safe:
//
//   on_lost()        the subscription is gone (or was never there): from now
//                    on a message may be missed, so the cache trust is
//                    withdrawn and the caches are dropped: every
//                    verification reads the store ("degraded").
//   on_subscribed()  the subscription is back (LISTEN committed): everything
//                    that changed before is in the store, everything after
//                    will arrive. The in-memory state is reloaded from the
//                    store (the trust withdrawn meanwhile, also for the
//                    transport's periodic reload), the caches are dropped once more (a value read
//                    before the reload must not be cached after it), then
//                    the trust is restored. On error the node stays degraded
//                    and the transport retries.
//   on_payload()     other nodes' messages are applied (evictions only,
//                    never store I/O); the node's own are skipped (applied
//                    before they were published). A payload that does not
//                    parse (a newer version, garbage on the shared channel)
//                    may have carried a change: it counts as a missed
//                    message. It, a resync message ('r') and a signing-key
//                    change ('g') make the node degraded at once and leave a
//                    reload pending (resync_pending()), which the transport
//                    runs with on_subscribed() no more often than its
//                    min_resync_interval: a flood of such payloads costs one
//                    reload per interval, and the node reads the store
//                    meanwhile.
//   on_publisher_gone()  the same for a node whose publisher vanished: what
//                    it committed last may never have been notified.
//
// Every transition into and out of degraded mode is logged once and counted
// (latchkey_invalidation_degraded, docs/metrics.md).
//
// Thread-safety: on_* are called by one transport thread; degraded() and
// stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/cache_trust.h"
#include "core/error.h"
#include "invalidation/local_state.h"

namespace latchkey::invalidation {

struct ReceiverStats {
  std::uint64_t applied = 0;      // messages from other nodes
  std::uint64_t own_skipped = 0;  // this node's messages
  std::uint64_t refused = 0;      // payloads that did not parse
  std::uint64_t degraded_entered = 0;
  std::uint64_t resyncs = 0;  // successful reloads from the store
};

class Receiver {
 public:
  // `trust` starts withdrawn: until the first subscription, a change may
  // have been missed since the services loaded their state.
  Receiver(LocalState& state, CacheTrust& trust, std::string node_id,
           std::function<void(bool warning, std::string_view line)> log = {});

  void on_payload(std::string_view payload);
  void on_lost(std::string_view why);
  Status on_subscribed();
  // Another node's publisher went away without notice (the transport's
  // heartbeat no longer lists it): its node may have died between a commit
  // and its notification. Degraded at once, reload pending, as for 'r'.
  void on_publisher_gone(std::string_view which);
  // A reload is owed (see on_payload); cleared by a successful on_subscribed().
  bool resync_pending() const { return resync_pending_.load(std::memory_order_acquire); }

  bool degraded() const { return !trust_.trusted(); }
  const std::string& node_id() const { return node_id_; }
  ReceiverStats stats() const;

 private:
  void log(bool warning, std::string_view line) const;
  void request_resync(std::string_view why);

  LocalState& state_;
  CacheTrust& trust_;
  const std::string node_id_;
  std::function<void(bool, std::string_view)> log_;
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> own_skipped_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> degraded_entered_{0};
  std::atomic<std::uint64_t> resyncs_{0};
  std::atomic<bool> resync_pending_{false};
  bool logged_degraded_ = false;  // transport thread only
};

}  // namespace latchkey::invalidation
