// TEST-ONLY fault hook: kill this process at its N-th durability point.
//
// When the environment variable LATCHKEY_TEST_CRASH_AT_SYNC=N (N >= 1) is
// set, the N-th call of durability_point() in this process raises SIGKILL,
// after one line on stderr naming the point. With "N,stop" it raises
// SIGSTOP instead, so that a test can look at the world (is the port open?
// is the file whole?) at that exact point, then SIGCONT or kill it. Durability points are every
// fsync SQLite asks for (store/sqlite/crash_at_sync_vfs.h) and every fsync,
// rename and delivery of the first-start and recover-admin paths
// (server/bootstrap.h). Tests use it to prove that a kill -9 at any of them
// leaves a usable admin (tests/integration/bootstrap_test.cc).
//
// Unset (always, outside tests), durability_point() is one relaxed atomic
// load. latchkeyd disarms the hook once it serves, so that a later write
// cannot kill a server a test meant to keep.
#pragma once

#include <string_view>

namespace latchkey::test_hooks {

inline constexpr const char* kCrashAtSyncVariable = "LATCHKEY_TEST_CRASH_AT_SYNC";

// True when LATCHKEY_TEST_CRASH_AT_SYNC is set to a positive number and the
// hook has not been disarmed.
bool crash_points_armed();

// Counts one durability point; kills (or stops) the process at the N-th.
// `what` names the point in the stderr line. Thread-safe.
void durability_point(std::string_view what);

// Stops counting for the rest of the process.
void disarm_crash_points();

}  // namespace latchkey::test_hooks
