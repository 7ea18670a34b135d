// writeRunsStat(fd, positions, runs, identities): fstat the descriptor, write each run of buffers
// at its position (pwritev, IOV_MAX segments at a time, again after a short write), fstat again,
// all in one thread-pool job. The cache writes a batch of client WRITEs this way: it compares the
// first fstat with what it saw last (a change made beside the server) and keeps the second, and
// three thread-pool round trips per batch become one. No policy here.
//
// The two fstat results go into `identities`, a BigInt64Array of 8 the caller owns: size,
// mtime ns, ctime ns, inode of the first, then of the second (one small array the job fills,
// where objects built per call cost more than the write). Resolves with undefined; rejects with
// the errno Error of the first failing call (runs before it were written).
#include "fd-write.h"
#include "fs-job.h"
#include <sys/stat.h>
#include <sys/uio.h>
#include <climits>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <vector>

namespace spliced {
namespace {

constexpr size_t kIdentityValues = 8;  // size, mtime, ctime, inode: before, then after

struct Identity {
  int64_t size = 0, mtimeNs = 0, ctimeNs = 0;
  uint64_t ino = 0;
};

struct Run {
  int64_t position;
  std::vector<struct iovec> segments;
};

int StatIdentity(int fd, Identity& out) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  out.size = st.st_size;
  out.mtimeNs = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  out.ctimeNs = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
  out.ino = st.st_ino;
  return 0;
}

// Writes every byte of `run`; returns 0 or the errno of the failing pwritev.
int WriteRun(int fd, Run& run) {
  size_t first = 0;
  int64_t at = run.position;
  auto& v = run.segments;
  while (first < v.size()) {
    int count = static_cast<int>(std::min<size_t>(IOV_MAX, v.size() - first));
    ssize_t n = pwritev(fd, &v[first], count, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    at += n;
    size_t left = static_cast<size_t>(n);
    while (first < v.size() && left >= v[first].iov_len) left -= v[first++].iov_len;
    if (left > 0) {
      v[first].iov_base = static_cast<char*>(v[first].iov_base) + left;
      v[first].iov_len -= left;
    }
  }
  return 0;
}

// What the job shares between the thread pool and the loop thread.
struct WriteJob {
  std::vector<Run> runs;
  Identity before, after;
  int64_t* identities = nullptr;  // the caller's BigInt64Array, filled on the loop thread
  Napi::ObjectReference buffers;  // keeps the runs' Buffers alive until the job is done
  Napi::ObjectReference out;      // and the identities array
};

void StoreIdentity(int64_t* at, const Identity& id) {
  at[0] = id.size;
  at[1] = id.mtimeNs;
  at[2] = id.ctimeNs;
  at[3] = static_cast<int64_t>(id.ino);
}

int Execute(int fd, WriteJob& job, const char*& call) {
  int err = 0;
  if ((err = StatIdentity(fd, job.before)) != 0) return (call = "fstat", err);
  for (auto& run : job.runs) {
    if ((err = WriteRun(fd, run)) != 0) return (call = "pwritev", err);
  }
  if ((err = StatIdentity(fd, job.after)) != 0) call = "fstat";
  return err;
}

}  // namespace

// writeRunsStat(fd, positions: number[], runs: Buffer[][], identities: BigInt64Array) -> Promise<undefined>
Napi::Value WriteRunsStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "fd must be a number");
  if (!info[1].IsArray() || !info[2].IsArray()) throw Napi::TypeError::New(env, "positions and runs must be arrays");
  auto positions = info[1].As<Napi::Array>();
  auto buffers = info[2].As<Napi::Array>();
  if (positions.Length() != buffers.Length()) throw Napi::RangeError::New(env, "one position per run");
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array ||
      info[3].As<Napi::TypedArray>().ElementLength() != kIdentityValues) {
    throw Napi::TypeError::New(env, "identities must be a BigInt64Array of 8");
  }
  auto identities = info[3].As<Napi::TypedArrayOf<int64_t>>();
  std::vector<Run> runs(buffers.Length());
  for (uint32_t r = 0; r < buffers.Length(); r++) {
    Napi::Value position = positions.Get(r);
    Napi::Value views = buffers.Get(r);
    if (!position.IsNumber() || position.As<Napi::Number>().Int64Value() < 0) throw Napi::RangeError::New(env, "a position must be a non-negative number");
    if (!views.IsArray()) throw Napi::TypeError::New(env, "each run must be an array of Buffers");
    runs[r].position = position.As<Napi::Number>().Int64Value();
    auto list = views.As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); k++) {
      Napi::Value b = list.Get(k);
      if (!b.IsBuffer()) throw Napi::TypeError::New(env, "each run must be an array of Buffers");
      auto buffer = b.As<Napi::Buffer<char>>();
      if (buffer.Length() > 0) runs[r].segments.push_back({buffer.Data(), buffer.Length()});
    }
  }
  auto job = std::make_shared<WriteJob>();
  job->runs = std::move(runs);
  job->buffers = Napi::Persistent(buffers.As<Napi::Object>());
  job->identities = identities.Data();
  job->out = Napi::Persistent(identities.As<Napi::Object>());
  int fd = info[0].As<Napi::Number>().Int32Value();
  return QueueFsJob(env, "writeRunsStat", [fd, job](const char*& call) { return Execute(fd, *job, call); },
                    [job](Napi::Env env) -> Napi::Value {
                      StoreIdentity(job->identities, job->before);
                      StoreIdentity(job->identities + kIdentityValues / 2, job->after);
                      return env.Undefined();
                    });
}

}  // namespace spliced
