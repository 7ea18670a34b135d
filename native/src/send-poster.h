// A thread that calls ibv_post_send for the JS thread (QueuePair.postSendAsync). On a software
// device (rxe) a user QP's post does the whole protocol work, packets, copies and checksums,
// inside the post_send system call, so a 1 MiB RDMA WRITE would hold the event loop. One
// thread per addon instance, posting in submission order (so each QP's order is kept).
//
// The thread is started by the JS thread on first use, so it shares the JS thread's
// credentials: after a setuid every thread that existed has its own, and uverbs refuses a
// command whose caller's credentials differ from those of the thread that opened the device.
#pragma once
#include "queue-pair.h"
#include <uv.h>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace spliced {

struct PostJob {
  std::shared_ptr<QpRes> qp;  // released on the JS thread, never by the poster
  std::vector<ibv_send_wr> wrs;
  std::vector<ibv_sge> sges;
  std::vector<std::shared_ptr<void>> keep;  // memory windows and regions the chain binds
  napi_deferred deferred = nullptr;
  int err = 0;
  uint32_t posted = 0;
};

class SendPoster {
 public:
  explicit SendPoster(Napi::Env env);
  // Stops and joins the thread; jobs not yet posted are dropped (the environment is ending).
  ~SendPoster();
  SendPoster(const SendPoster&) = delete;
  SendPoster& operator=(const SendPoster&) = delete;
  // Takes the job; its promise settles on the JS thread once the post returned.
  void Submit(std::unique_ptr<PostJob> job);

 private:
  void Run();
  void SettleDone();
  napi_env env_;
  Napi::AsyncContext context_;  // settling runs in a callback scope, so microtasks follow
  uv_async_t* wake_;  // freed by libuv's close callback
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<PostJob>> todo_, done_;
  bool stopping_ = false;
  std::thread thread_;
};

// The environment's poster, started on first use (on the JS thread).
SendPoster& PosterOf(Napi::Env env);

}  // namespace spliced
