// The spliced_fs addon: the *at family of file system calls that Node's fs lacks, so the
// server can resolve every share path beneath a directory descriptor (openat2) and act on
// open handles through their descriptors. No policy here: each call does one syscall (or one
// batch of them) on the libuv thread pool and resolves with plain values, or rejects with an
// Error carrying errno, code and syscall.
#include <napi.h>
#include "../errno-error.h"
#include "dir-read.h"
#include "fd-write.h"
#include "fs-job.h"
#include "inotify.h"
#include "xattr.h"
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

using spliced::ErrnoError;

struct StatRecord {
  uint64_t dev, ino, nlink, size, blocks, rdev;
  uint32_t mode, uid, gid, blksize;
  int64_t atimeNs, mtimeNs, ctimeNs, birthtimeNs;
};

int64_t Nanos(const struct statx_timestamp& t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int StatAt(int dirfd, const char* path, int flags, StatRecord& out) {
  struct statx sx;
  if (statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) return errno;
  out.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  out.rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  out.ino = sx.stx_ino;
  out.nlink = sx.stx_nlink;
  out.size = sx.stx_size;
  out.blocks = sx.stx_blocks;
  out.mode = sx.stx_mode;
  out.uid = sx.stx_uid;
  out.gid = sx.stx_gid;
  out.blksize = sx.stx_blksize;
  out.atimeNs = Nanos(sx.stx_atime);
  out.mtimeNs = Nanos(sx.stx_mtime);
  out.ctimeNs = Nanos(sx.stx_ctime);
  out.birthtimeNs = (sx.stx_mask & STATX_BTIME) ? Nanos(sx.stx_btime) : 0;
  return 0;
}

Napi::Object StatToJs(Napi::Env env, const StatRecord& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("dev", Napi::BigInt::New(env, s.dev));
  o.Set("ino", Napi::BigInt::New(env, s.ino));
  o.Set("mode", Napi::BigInt::New(env, static_cast<uint64_t>(s.mode)));
  o.Set("nlink", Napi::BigInt::New(env, s.nlink));
  o.Set("uid", Napi::BigInt::New(env, static_cast<uint64_t>(s.uid)));
  o.Set("gid", Napi::BigInt::New(env, static_cast<uint64_t>(s.gid)));
  o.Set("rdev", Napi::BigInt::New(env, s.rdev));
  o.Set("size", Napi::BigInt::New(env, s.size));
  o.Set("blksize", Napi::BigInt::New(env, static_cast<uint64_t>(s.blksize)));
  o.Set("blocks", Napi::BigInt::New(env, s.blocks));
  o.Set("atimeNs", Napi::BigInt::New(env, s.atimeNs));
  o.Set("mtimeNs", Napi::BigInt::New(env, s.mtimeNs));
  o.Set("ctimeNs", Napi::BigInt::New(env, s.ctimeNs));
  o.Set("birthtimeNs", Napi::BigInt::New(env, s.birthtimeNs));
  return o;
}

// One syscall (or batch) on the thread pool (fs-job.h), rejected naming `call`.
Napi::Value Queue(Napi::Env env, const char* call, std::function<int()> run,
                  std::function<Napi::Value(Napi::Env)> result) {
  return spliced::QueueFsJob(env, call, [run = std::move(run)](const char*&) { return run(); }, std::move(result));
}

int32_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

uint64_t Uint64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return v;
  } else if (info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0) return static_cast<uint64_t>(d);
  }
  throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a uint64");
}

std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), std::string(what) + " contains NUL");
  return s;
}

Napi::Value Undefined(Napi::Env env) { return env.Undefined(); }

// openat2(dirfd, path, flags, mode, resolve) -> fd
Napi::Value OpenAt2(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0, "dirfd");
  std::string path = PathArg(info, 1, "path");
  struct open_how how = {};
  how.flags = Uint64Arg(info, 2, "flags") | O_CLOEXEC;
  how.mode = (how.flags & (O_CREAT | __O_TMPFILE)) ? Uint64Arg(info, 3, "mode") : 0;
  how.resolve = Uint64Arg(info, 4, "resolve");
  auto fd = std::make_shared<int>(-1);
  return Queue(
      info.Env(), "openat2",
      [=]() {
        long r = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
        if (r < 0) return errno;
        *fd = static_cast<int>(r);
        return 0;
      },
      [fd](Napi::Env env) { return Napi::Number::New(env, *fd); });
}

// openat2Cached(dirfd, path, flags, resolve) -> fd | -1, synchronous: openat2 with
// RESOLVE_CACHED added, which completes the walk from the dentry cache or fails with EAGAIN
// (openat2(2), Linux 5.12) instead of reading a directory from disk; so it never waits for
// I/O in the lookup. For O_PATH opens only, which call no file system open method. -1 means
// EAGAIN: the caller opens through the thread pool instead. Other errors throw.
Napi::Value OpenAt2Cached(const Napi::CallbackInfo& info) {
  struct open_how how = {};
  int dirfd = IntArg(info, 0, "dirfd");
  std::string path = PathArg(info, 1, "path");
  how.flags = Uint64Arg(info, 2, "flags") | O_CLOEXEC;
  if (!(how.flags & O_PATH)) throw Napi::RangeError::New(info.Env(), "openat2Cached: flags must include O_PATH");
  how.resolve = Uint64Arg(info, 3, "resolve") | RESOLVE_CACHED;
  long r = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  if (r >= 0) return Napi::Number::New(info.Env(), static_cast<double>(r));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  throw ErrnoError(info.Env(), "openat2", errno);
}

// mkdirat(dirfd, path, mode)
Napi::Value MkdirAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0, "dirfd");
  std::string path = PathArg(info, 1, "path");
  mode_t mode = static_cast<mode_t>(IntArg(info, 2, "mode"));
  return Queue(info.Env(), "mkdirat", [=]() { return mkdirat(dirfd, path.c_str(), mode) == 0 ? 0 : errno; }, Undefined);
}

// unlinkat(dirfd, path, flags)
Napi::Value UnlinkAt(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0, "dirfd");
  std::string path = PathArg(info, 1, "path");
  int flags = IntArg(info, 2, "flags");
  return Queue(info.Env(), "unlinkat", [=]() { return unlinkat(dirfd, path.c_str(), flags) == 0 ? 0 : errno; }, Undefined);
}

// renameat2(olddirfd, oldpath, newdirfd, newpath, flags)
Napi::Value RenameAt2(const Napi::CallbackInfo& info) {
  int oldfd = IntArg(info, 0, "olddirfd");
  std::string oldpath = PathArg(info, 1, "oldpath");
  int newfd = IntArg(info, 2, "newdirfd");
  std::string newpath = PathArg(info, 3, "newpath");
  unsigned flags = static_cast<unsigned>(IntArg(info, 4, "flags"));
  return Queue(
      info.Env(), "renameat2",
      [=]() { return renameat2(oldfd, oldpath.c_str(), newfd, newpath.c_str(), flags) == 0 ? 0 : errno; },
      Undefined);
}

// statAt(dirfd, path, flags) -> stat record (statx; AT_EMPTY_PATH with "" stats dirfd itself)
Napi::Value StatAtJs(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info, 0, "dirfd");
  std::string path = PathArg(info, 1, "path");
  int flags = IntArg(info, 2, "flags");
  auto out = std::make_shared<StatRecord>();
  return Queue(
      info.Env(), "statx", [=]() { return StatAt(dirfd, path.c_str(), flags, *out); },
      [out](Napi::Env env) { return StatToJs(env, *out); });
}

// Resource limits: getrlimit/setrlimit of this process, synchronous (two cheap syscalls). Serve
// raises RLIMIT_MEMLOCK before dropping root so memory registration keeps working after it.
// RLIM_INFINITY travels as Infinity.
Napi::Value RlimitToJs(Napi::Env env, rlim_t v) {
  return Napi::Number::New(env, v == RLIM_INFINITY ? std::numeric_limits<double>::infinity() : static_cast<double>(v));
}

rlim_t RlimitArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info[i].IsNumber() && info[i].As<Napi::Number>().DoubleValue() == std::numeric_limits<double>::infinity()) return RLIM_INFINITY;
  return static_cast<rlim_t>(Uint64Arg(info, i, what));
}

// getrlimit(resource) -> { soft, hard }
Napi::Value GetRlimit(const Napi::CallbackInfo& info) {
  struct rlimit rl;
  if (getrlimit(IntArg(info, 0, "resource"), &rl) != 0) throw ErrnoError(info.Env(), "getrlimit", errno);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("soft", RlimitToJs(info.Env(), rl.rlim_cur));
  o.Set("hard", RlimitToJs(info.Env(), rl.rlim_max));
  return o;
}

// setrlimit(resource, soft, hard)
Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  struct rlimit rl;
  int resource = IntArg(info, 0, "resource");
  rl.rlim_cur = RlimitArg(info, 1, "soft");
  rl.rlim_max = RlimitArg(info, 2, "hard");
  if (setrlimit(resource, &rl) != 0) throw ErrnoError(info.Env(), "setrlimit", errno);
  return info.Env().Undefined();
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("O_PATH", static_cast<double>(O_PATH));
  c.Set("O_DIRECTORY", static_cast<double>(O_DIRECTORY));
  c.Set("O_NOFOLLOW", static_cast<double>(O_NOFOLLOW));
  c.Set("O_CREAT", static_cast<double>(O_CREAT));
  c.Set("O_EXCL", static_cast<double>(O_EXCL));
  c.Set("O_RDONLY", static_cast<double>(O_RDONLY));
  c.Set("O_RDWR", static_cast<double>(O_RDWR));
  c.Set("O_NONBLOCK", static_cast<double>(O_NONBLOCK));
  c.Set("O_NOCTTY", static_cast<double>(O_NOCTTY));
  c.Set("RESOLVE_NO_XDEV", static_cast<double>(RESOLVE_NO_XDEV));
  c.Set("RESOLVE_NO_MAGICLINKS", static_cast<double>(RESOLVE_NO_MAGICLINKS));
  c.Set("RESOLVE_NO_SYMLINKS", static_cast<double>(RESOLVE_NO_SYMLINKS));
  c.Set("RESOLVE_BENEATH", static_cast<double>(RESOLVE_BENEATH));
  c.Set("RESOLVE_IN_ROOT", static_cast<double>(RESOLVE_IN_ROOT));
  c.Set("AT_REMOVEDIR", static_cast<double>(AT_REMOVEDIR));
  c.Set("AT_SYMLINK_NOFOLLOW", static_cast<double>(AT_SYMLINK_NOFOLLOW));
  c.Set("AT_EMPTY_PATH", static_cast<double>(AT_EMPTY_PATH));
  c.Set("RENAME_NOREPLACE", static_cast<double>(RENAME_NOREPLACE));
  c.Set("DT_DIR", static_cast<double>(DT_DIR));
  c.Set("DT_LNK", static_cast<double>(DT_LNK));
  c.Set("DT_REG", static_cast<double>(DT_REG));
  c.Set("RLIMIT_MEMLOCK", static_cast<double>(RLIMIT_MEMLOCK));
  return c;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openat2", Napi::Function::New(env, OpenAt2, "openat2"));
  exports.Set("openat2Cached", Napi::Function::New(env, OpenAt2Cached, "openat2Cached"));
  exports.Set("mkdirat", Napi::Function::New(env, MkdirAt, "mkdirat"));
  exports.Set("unlinkat", Napi::Function::New(env, UnlinkAt, "unlinkat"));
  exports.Set("renameat2", Napi::Function::New(env, RenameAt2, "renameat2"));
  exports.Set("statAt", Napi::Function::New(env, StatAtJs, "statAt"));
  exports.Set("readDirectoryAt", Napi::Function::New(env, spliced::ReadDirectoryAt, "readDirectoryAt"));
  exports.Set("readDirectoryNext", Napi::Function::New(env, spliced::ReadDirectoryNext, "readDirectoryNext"));
  exports.Set("writeRunsStat", Napi::Function::New(env, spliced::WriteRunsStat, "writeRunsStat"));
  exports.Set("listUserXattrs", Napi::Function::New(env, spliced::ListUserXattrs, "listUserXattrs"));
  exports.Set("setUserXattr", Napi::Function::New(env, spliced::SetUserXattr, "setUserXattr"));
  exports.Set("getrlimit", Napi::Function::New(env, GetRlimit, "getrlimit"));
  exports.Set("setrlimit", Napi::Function::New(env, SetRlimit, "setrlimit"));
  exports.Set("constants", Constants(env));
  spliced::InitInotify(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(spliced_fs, Init)
