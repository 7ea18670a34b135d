// Watches a non-blocking fd for readability on the environment's own libuv loop.
#pragma once
#include "common.h"
#include <uv.h>
#include <functional>

namespace spliced {

class FdPoller {
 public:
  // Fails with a VerbsError naming uv_poll_init when the fd cannot be watched.
  FdPoller(Napi::Env env, int fd, std::function<void()> onReadable);
  ~FdPoller();  // stops watching; the handle is freed by libuv's close callback
  FdPoller(const FdPoller&) = delete;
  FdPoller& operator=(const FdPoller&) = delete;
  // Whether the watcher keeps the event loop alive.
  void SetKeepsLoopAlive(bool alive);

 private:
  uv_poll_t* handle_;
  std::function<void()> onReadable_;
};

// Puts fd into non-blocking mode; returns errno or 0.
int MakeNonBlocking(int fd);

}  // namespace spliced
