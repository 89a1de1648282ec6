// TEST-ONLY: an SQLite VFS that forwards everything to the default VFS and
// counts each xSync (every fsync SQLite asks for: WAL, database, directory)
// as a durability point of core/crash_points.h, so that
// LATCHKEY_TEST_CRASH_AT_SYNC=N kills latchkeyd at the store's N-th fsync.
#pragma once

namespace latchkey::sqlite {

// Makes the counting VFS SQLite's default, once, when the crash hook is
// armed; does nothing otherwise. Call before the first connection opens.
void install_crash_at_sync_vfs_if_armed();

}  // namespace latchkey::sqlite
