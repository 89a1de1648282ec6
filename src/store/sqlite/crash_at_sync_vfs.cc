#include "store/sqlite/crash_at_sync_vfs.h"

#include <sqlite3.h>

#include <mutex>

#include "core/crash_points.h"

namespace latchkey::sqlite {
namespace {

sqlite3_vfs* root = nullptr;  // the default VFS this one wraps

// A file of this VFS: our header, then the wrapped VFS's file (szOsFile).
struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file)->real; }

int file_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int file_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int file_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  // Everything written so far is in the page cache, which a kill -9 keeps:
  // dying here is dying at this fsync.
  test_hooks::durability_point("an SQLite fsync");
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int file_lock(sqlite3_file* f, int lock) { return real_of(f)->pMethods->xLock(real_of(f), lock); }
int file_unlock(sqlite3_file* f, int lock) {
  return real_of(f)->pMethods->xUnlock(real_of(f), lock);
}
int file_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int file_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int file_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int file_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int file_shm_unmap(sqlite3_file* f, int remove) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
}
int file_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

// Version 3, as the unix VFS's own methods: WAL needs xShm*, mmap xFetch.
const sqlite3_io_methods kMethods = {3,
                                     file_close,
                                     file_read,
                                     file_write,
                                     file_truncate,
                                     file_sync,
                                     file_size,
                                     file_lock,
                                     file_unlock,
                                     file_check_reserved,
                                     file_control,
                                     file_sector_size,
                                     file_device_characteristics,
                                     file_shm_map,
                                     file_shm_lock,
                                     file_shm_barrier,
                                     file_shm_unmap,
                                     file_fetch,
                                     file_unfetch};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* counting = reinterpret_cast<CountingFile*>(file);
  counting->real = reinterpret_cast<sqlite3_file*>(counting + 1);
  const int rc = root->xOpen(root, name, counting->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set.
  counting->base.pMethods = counting->real->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return root->xDelete(root, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return root->xAccess(root, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return root->xFullPathname(root, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return root->xDlOpen(root, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { root->xDlError(root, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return root->xDlSym(root, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) { root->xDlClose(root, handle); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return root->xRandomness(root, n, out); }
int vfs_sleep(sqlite3_vfs*, int micros) { return root->xSleep(root, micros); }
int vfs_current_time(sqlite3_vfs*, double* out) { return root->xCurrentTime(root, out); }
int vfs_last_error(sqlite3_vfs*, int n, char* out) { return root->xGetLastError(root, n, out); }
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return root->xCurrentTimeInt64(root, out);
}

sqlite3_vfs counting_vfs{};

}  // namespace

void install_crash_at_sync_vfs_if_armed() {
  if (!test_hooks::crash_points_armed()) return;
  static std::once_flag once;
  std::call_once(once, [] {
    root = sqlite3_vfs_find(nullptr);
    if (root == nullptr) return;
    counting_vfs.iVersion = 2;  // up to xCurrentTimeInt64
    counting_vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + root->szOsFile;
    counting_vfs.mxPathname = root->mxPathname;
    counting_vfs.zName = "latchkey-crash-at-sync";
    counting_vfs.xOpen = vfs_open;
    counting_vfs.xDelete = vfs_delete;
    counting_vfs.xAccess = vfs_access;
    counting_vfs.xFullPathname = vfs_full_pathname;
    counting_vfs.xDlOpen = vfs_dl_open;
    counting_vfs.xDlError = vfs_dl_error;
    counting_vfs.xDlSym = vfs_dl_sym;
    counting_vfs.xDlClose = vfs_dl_close;
    counting_vfs.xRandomness = vfs_randomness;
    counting_vfs.xSleep = vfs_sleep;
    counting_vfs.xCurrentTime = vfs_current_time;
    counting_vfs.xGetLastError = vfs_last_error;
    counting_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    sqlite3_vfs_register(&counting_vfs, /*makeDflt=*/1);
  });
}

}  // namespace latchkey::sqlite
