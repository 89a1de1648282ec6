// The connection's Asio executor, handed to asynchronous handlers
// (Responder::executor()). A separate header because it pulls in Asio: only
// code that does asynchronous I/O (the gateway) includes it.
#pragma once

#include <boost/asio/any_io_executor.hpp>

namespace latchkey::http {

class Executor {
 public:
  explicit Executor(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  const boost::asio::any_io_executor& get() const { return executor_; }

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace latchkey::http
