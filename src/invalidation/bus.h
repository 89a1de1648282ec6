// The invalidation bus (docs/operations.md, "Cross-node invalidation"): how
// a change committed on one latchkeyd reaches the caches of the others.
//
// A writer evicts its own caches after its store commit returns and before
// it answers (as it always has), and publishes a Message at the same place.
// The bus carries it to every other node sharing the store, whose Receiver
// applies it there (receiver.h). A node never re-applies its own messages:
// it applied them before publishing.
//
//   InProcessBus  one node (the embedded SQLite store): nobody else to tell,
//                 publish() does nothing, the caches are always trusted.
//   PgNotifyBus   PostgreSQL LISTEN/NOTIFY (pg_notify_bus.h).
//
// Thread-safety: publish() may be called from any thread.
#pragma once

#include <string>

#include "invalidation/message.h"

namespace latchkey::invalidation {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Called after the change committed (and was applied locally), before the
  // change is answered. Never fails the caller: a message that cannot be
  // sent is retried by the bus and counted (docs/operations.md).
  virtual void publish(const Message& message) = 0;
};

class Bus : public Publisher {
 public:
  // True while this node may have missed a message: its caches are not
  // trusted and every verification reads the store.
  virtual bool degraded() const = 0;
  // "in-process", "postgres (listening)", "postgres (degraded: ...)".
  virtual std::string describe() const = 0;
};

class InProcessBus final : public Bus {
 public:
  void publish(const Message&) override {}
  bool degraded() const override { return false; }
  std::string describe() const override { return "in-process (one node)"; }
};

}  // namespace latchkey::invalidation
