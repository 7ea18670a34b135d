#include "fd-poller.h"
#include <fcntl.h>
#include <cerrno>

namespace spliced {

FdPoller::FdPoller(Napi::Env env, int fd, std::function<void()> onReadable)
    : handle_(new uv_poll_t), onReadable_(std::move(onReadable)) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int err = uv_poll_init(loop, handle_, fd);
  if (err) {
    delete handle_;
    throw VerbsError(env, "uv_poll_init", -err);
  }
  handle_->data = this;
  uv_poll_start(handle_, UV_READABLE, [](uv_poll_t* h, int status, int) {
    if (status < 0) return;  // the fd's owner reports its own errors on the next call
    static_cast<FdPoller*>(h->data)->onReadable_();
  });
}

FdPoller::~FdPoller() {
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
}

void FdPoller::SetKeepsLoopAlive(bool alive) {
  if (alive) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  else uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

int MakeNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  return 0;
}

}  // namespace spliced
