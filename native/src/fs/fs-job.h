// One file system job on the libuv thread pool, settled as a promise: the shared worker of the
// spliced_fs calls (fs-at.cc, dir-read.cc, fd-write.cc).
#pragma once
#include <napi.h>
#include <functional>

namespace spliced {

// `run` executes on the thread pool, never touches JS, and returns 0 or an errno; it may rename
// `call` (the syscall the rejection names) when the job makes several. `result` builds the
// resolution value back on the loop thread. Both are destroyed on the loop thread.
Napi::Value QueueFsJob(Napi::Env env, const char* call, std::function<int(const char*& call)> run,
                       std::function<Napi::Value(Napi::Env)> result);

// The record getdents64(2) fills; glibc declares none.
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

}  // namespace spliced
