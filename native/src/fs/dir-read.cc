// readDirectoryAt(dirfd, cookie, max): up to `max` entries of the directory `dirfd` names (any
// descriptor of it, O_PATH included), starting at the getdents64 offset `cookie`, each with its
// statx taken beneath that directory without following a final symlink. One thread-pool job per
// batch; the directory is reopened as "." beneath `dirfd` and closed again, so no descriptor
// outlives the call and no path name is resolved.
//
// readDirectoryNext(listingFd, max): the same batch from a listing descriptor's own offset, which
// it leaves right after the last entry returned. A listing that keeps its descriptor never seeks,
// which matters where a getdents64 offset is a position rather than a stable cookie (overlayfs
// merged directories, tmpfs before Linux 6.6): seeking there after an earlier entry was removed
// skips entries.
//
// The result is packed, not one JS object per entry: `records` holds a PackedEntry per entry
// (little-endian, layout below, mirrored by native/fs.ts DIR_RECORD), `names` their raw bytes.
// '.' and '..' are left out; an entry that vanished before its statx (ENOENT) too.
#include "dir-read.h"
#include "fs-job.h"
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace spliced {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the packed records are read as little-endian");

struct PackedEntry {
  int64_t cookie;  // getdents64 d_off: where the entry after this one starts
  uint64_t ino;
  uint64_t size;
  int64_t atimeSec, mtimeSec, ctimeSec, btimeSec;
  uint32_t atimeNsec, mtimeNsec, ctimeNsec, btimeNsec;
  uint32_t mode;
  uint32_t nlink;
  uint32_t nameOffset;
  uint16_t nameLength;
  uint8_t type;     // d_type
  uint8_t hasBtime;  // 0 when the file system reports no birth time
  int32_t statError;  // errno of a failed statx (the stat fields are then 0)
  uint32_t reserved;
};
static_assert(sizeof(PackedEntry) == 96, "native/fs.ts DIR_RECORD mirrors this layout");


struct Batch {
  std::vector<PackedEntry> records;
  std::string names;
  bool end = false;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void FillStat(const struct statx& sx, PackedEntry& e) {
  e.ino = sx.stx_ino;
  e.size = sx.stx_size;
  e.mode = sx.stx_mode;
  e.nlink = sx.stx_nlink;
  e.atimeSec = sx.stx_atime.tv_sec;
  e.atimeNsec = sx.stx_atime.tv_nsec;
  e.mtimeSec = sx.stx_mtime.tv_sec;
  e.mtimeNsec = sx.stx_mtime.tv_nsec;
  e.ctimeSec = sx.stx_ctime.tv_sec;
  e.ctimeNsec = sx.stx_ctime.tv_nsec;
  e.hasBtime = (sx.stx_mask & STATX_BTIME) ? 1 : 0;
  if (e.hasBtime) {
    e.btimeSec = sx.stx_btime.tv_sec;
    e.btimeNsec = sx.stx_btime.tv_nsec;
  }
}

// Appends the entry unless it is '.', '..' or vanished; returns false once `max` are there.
bool AddEntry(int dir, const linux_dirent64* d, size_t max, Batch& out) {
  if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) return true;
  struct statx sx;
  int err = statx(dir, d->d_name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0 ? 0 : errno;
  if (err == ENOENT) return true;  // removed since it was listed
  PackedEntry e = {};
  e.cookie = d->d_off;
  e.type = d->d_type;
  e.statError = err;
  if (err == 0) FillStat(sx, e);
  size_t length = std::strlen(d->d_name);
  e.nameOffset = static_cast<uint32_t>(out.names.size());
  e.nameLength = static_cast<uint16_t>(length);
  out.names.append(d->d_name, length);
  out.records.push_back(e);
  return out.records.size() < max;
}

// One getdents64 call on `dir` into `buf`, every entry added; 0 bytes read marks the end.
int ReadWholeBuffer(int dir, std::vector<char>& buf, Batch& out) {
  long n = syscall(SYS_getdents64, dir, buf.data(), buf.size());
  if (n < 0) return errno;
  if (n == 0) out.end = true;
  for (long at = 0; at < n;) {
    auto* d = reinterpret_cast<const linux_dirent64*>(buf.data() + at);
    at += d->d_reclen;
    AddEntry(dir, d, SIZE_MAX, out);
  }
  return 0;
}

int ReadBatch(int dirfd, int64_t cookie, size_t max, Batch& out) {
  Fd dir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return errno;
  if (lseek(dir.get(), cookie, SEEK_SET) < 0) return errno;
  out.records.reserve(max);
  // Enough for about 100 typical entries per getdents64; a 255-byte name needs under 300.
  std::vector<char> buf(32 * 1024);
  for (;;) {
    long n = syscall(SYS_getdents64, dir.get(), buf.data(), buf.size());
    if (n < 0) return errno;
    if (n == 0) {
      out.end = true;
      return 0;
    }
    for (long at = 0; at < n;) {
      auto* d = reinterpret_cast<const linux_dirent64*>(buf.data() + at);
      at += d->d_reclen;
      if (!AddEntry(dir.get(), d, max, out)) return 0;
    }
  }
}

// From the listing descriptor's own offset: whole getdents64 buffers until `max` entries or the
// end, so that the offset ends right after the last entry returned and the next call goes on
// from there without a seek. Small buffers keep the overshoot past `max` to a few entries.
int ReadNextBatch(int listing, size_t max, Batch& out) {
  std::vector<char> buf(2048);  // a record is at most 280 bytes (a 255-byte name)
  while (out.records.size() < max && !out.end) {
    int err = ReadWholeBuffer(listing, buf, out);
    if (err != 0) return err;
  }
  return 0;
}

Napi::Value BatchToJs(Napi::Env env, const Batch& batch) {
  Napi::Object o = Napi::Object::New(env);
  const auto* bytes = reinterpret_cast<const char*>(batch.records.data());
  o.Set("records", Napi::Buffer<char>::Copy(env, bytes, batch.records.size() * sizeof(PackedEntry)));
  o.Set("names", Napi::Buffer<char>::Copy(env, batch.names.data(), batch.names.size()));
  o.Set("end", Napi::Boolean::New(env, batch.end));
  return o;
}

int64_t MaxArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "max must be a number");
  int64_t max = info[i].As<Napi::Number>().Int64Value();
  if (max <= 0 || max > 65536) throw Napi::RangeError::New(info.Env(), "max must be 1..65536");
  return max;
}

}  // namespace

// readDirectoryNext(listingFd, max) -> { records, names, end }
Napi::Value ReadDirectoryNext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "listing fd must be a number");
  int listing = info[0].As<Napi::Number>().Int32Value();
  size_t max = static_cast<size_t>(MaxArg(info, 1));
  auto batch = std::make_shared<Batch>();
  return QueueFsJob(env, "getdents64", [listing, max, batch](const char*&) { return ReadNextBatch(listing, max, *batch); },
                    [batch](Napi::Env env) { return BatchToJs(env, *batch); });
}

// readDirectoryAt(dirfd, cookie: bigint, max) -> { records, names, end }
Napi::Value ReadDirectoryAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "dirfd must be a number");
  if (!info[1].IsBigInt()) throw Napi::TypeError::New(env, "cookie must be a bigint");
  bool lossless = false;
  int64_t cookie = info[1].As<Napi::BigInt>().Int64Value(&lossless);
  if (!lossless || cookie < 0) throw Napi::RangeError::New(env, "cookie must be a non-negative int64");
  int64_t max = MaxArg(info, 2);
  int dirfd = info[0].As<Napi::Number>().Int32Value();
  auto batch = std::make_shared<Batch>();
  return QueueFsJob(env, "getdents64", [dirfd, cookie, max, batch](const char*&) { return ReadBatch(dirfd, cookie, static_cast<size_t>(max), *batch); },
                    [batch](Napi::Env env) { return BatchToJs(env, *batch); });
}

}  // namespace spliced
