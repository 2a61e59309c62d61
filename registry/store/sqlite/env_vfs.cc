#include "registry/store/sqlite/env_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "registry/store/sqlite/db.h"

namespace fairtrace::sqlite {
namespace {

struct EnvVfs {
  sqlite3_vfs vfs;  // first: SQLite hands us this pointer
  sqlite3_vfs* real;
  fs::Env* env;
  std::string name;
};

struct EnvFile {
  sqlite3_file base;  // first: SQLite hands us this pointer
  fs::Env* env;
  const char* path;    // owned by SQLite for the file's lifetime
  sqlite3_file* real;  // placed right after this struct (szOsFile)
};

EnvVfs* Outer(sqlite3_vfs* v) { return reinterpret_cast<EnvVfs*>(v); }
EnvFile* Outer(sqlite3_file* f) { return reinterpret_cast<EnvFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Outer(f)->real; }

int Close(sqlite3_file* f) { return Real(f)->pMethods ? Real(f)->pMethods->xClose(Real(f)) : SQLITE_OK; }
int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
}
int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  EnvFile* e = Outer(f);
  size_t len = static_cast<size_t>(amt);
  absl::Status fault = e->env->Before(fs::Env::Op::kWrite, e->path ? e->path : "", &len);
  if (fault.ok()) return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
  if (len > 0 && len < static_cast<size_t>(amt)) {
    (void)Real(f)->pMethods->xWrite(Real(f), buf, static_cast<int>(len), off);
  }
  return absl::IsResourceExhausted(fault) ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return Real(f)->pMethods->xTruncate(Real(f), size); }
int Sync(sqlite3_file* f, int flags) {
  EnvFile* e = Outer(f);
  if (!e->env->Before(fs::Env::Op::kSync, e->path ? e->path : "", nullptr).ok()) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int CheckReservedLock(sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return Real(f)->pMethods->xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return Real(f)->pMethods->xShmMap(Real(f), pg, sz, extend, p);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** p) {
  return Real(f)->pMethods->xFetch(Real(f), off, amt, p);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), off, p); }

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  EnvVfs* outer = Outer(v);
  EnvFile* e = Outer(f);
  e->env = outer->env;
  e->path = name;
  e->real = reinterpret_cast<sqlite3_file*>(e + 1);
  std::memset(e->real, 0, static_cast<size_t>(outer->real->szOsFile));
  int rc = outer->real->xOpen(outer->real, name, e->real, flags, out_flags);
  // Our methods only when the real file is open (SQLite calls xClose then).
  e->base.pMethods = e->real->pMethods ? &kMethods : nullptr;
  return rc;
}
int Delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return Outer(v)->real->xDelete(Outer(v)->real, name, sync_dir);
}
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Outer(v)->real->xAccess(Outer(v)->real, name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Outer(v)->real->xFullPathname(Outer(v)->real, name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Outer(v)->real->xDlOpen(Outer(v)->real, name); }
void DlError(sqlite3_vfs* v, int n, char* out) { Outer(v)->real->xDlError(Outer(v)->real, n, out); }
void (*DlSym(sqlite3_vfs* v, void* h, const char* sym))(void) { return Outer(v)->real->xDlSym(Outer(v)->real, h, sym); }
void DlClose(sqlite3_vfs* v, void* h) { Outer(v)->real->xDlClose(Outer(v)->real, h); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Outer(v)->real->xRandomness(Outer(v)->real, n, out); }
int Sleep(sqlite3_vfs* v, int us) { return Outer(v)->real->xSleep(Outer(v)->real, us); }
int CurrentTime(sqlite3_vfs* v, double* out) { return Outer(v)->real->xCurrentTime(Outer(v)->real, out); }
int GetLastError(sqlite3_vfs* v, int n, char* out) { return Outer(v)->real->xGetLastError(Outer(v)->real, n, out); }
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return Outer(v)->real->xCurrentTimeInt64(Outer(v)->real, out);
}

}  // namespace

absl::StatusOr<std::string> EnvVfsName(fs::Env* env) {
  static std::mutex mu;
  static std::map<fs::Env*, std::unique_ptr<EnvVfs>>* registered = new std::map<fs::Env*, std::unique_ptr<EnvVfs>>();
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = registered->find(env); it != registered->end()) return it->second->name;
  ConfigureSqliteOnce();  // before sqlite3_vfs_find initialises SQLite
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 2) return absl::InternalError("no default SQLite VFS to wrap");
  auto outer = std::make_unique<EnvVfs>();
  outer->real = real;
  outer->env = env;
  outer->name = absl::StrCat("fairtrace-env-", reinterpret_cast<uintptr_t>(env));
  sqlite3_vfs& v = outer->vfs;
  v = sqlite3_vfs{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(EnvFile)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = outer->name.c_str();
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (int rc = sqlite3_vfs_register(&v, /*makeDflt=*/0); rc != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("cannot register the SQLite VFS shim: ", sqlite3_errstr(rc)));
  }
  std::string name = outer->name;
  (*registered)[env] = std::move(outer);
  return name;
}

}  // namespace fairtrace::sqlite
