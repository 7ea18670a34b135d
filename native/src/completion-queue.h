// Completion channel and completion queue. The channel's fd is watched on the event loop;
// on readiness it follows the verbs order for each event: ibv_get_cq_event, ack (in
// batches), re-arm with ibv_req_notify_cq, then drain the CQ and hand JS one array of
// plain completion records.
#pragma once
#include "context.h"
#include "fd-poller.h"

namespace spliced {

struct CqRes;

struct ChannelRes : std::enable_shared_from_this<ChannelRes> {
  std::shared_ptr<ContextRes> context;
  ibv_comp_channel* channel = nullptr;
  std::unique_ptr<FdPoller> poller;
  explicit ChannelRes(std::shared_ptr<ContextRes> c) : context(std::move(c)) {}
  ~ChannelRes();
  ChannelRes(const ChannelRes&) = delete;
  ChannelRes& operator=(const ChannelRes&) = delete;
  void OnReadable();
};

struct CqRes : std::enable_shared_from_this<CqRes> {
  static constexpr unsigned kAckBatch = 16;
  std::shared_ptr<ContextRes> context;
  std::shared_ptr<ChannelRes> channel;  // null for a CQ that is only polled
  ibv_cq* cq = nullptr;
  unsigned unacked = 0;
  napi_env env = nullptr;
  napi_async_context asyncContext = nullptr;
  Napi::FunctionReference onCompletions;
  CqRes(std::shared_ptr<ContextRes> c, std::shared_ptr<ChannelRes> ch)
      : context(std::move(c)), channel(std::move(ch)) {}
  ~CqRes();
  CqRes(const CqRes&) = delete;
  CqRes& operator=(const CqRes&) = delete;
  void OnEvent();
  // Polls up to max completions (0: until empty) into an array of records.
  Napi::Array Poll(Napi::Env env, uint32_t max);
};

class CompletionChannel : public Napi::ObjectWrap<CompletionChannel> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).completionChannel.Value(); }
  explicit CompletionChannel(const Napi::CallbackInfo& info);
  std::shared_ptr<ChannelRes>& Resource() { return res_; }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<ChannelRes> res_;
};

class CompletionQueue : public Napi::ObjectWrap<CompletionQueue> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).completionQueue.Value(); }
  explicit CompletionQueue(const Napi::CallbackInfo& info);
  std::shared_ptr<CqRes>& Resource() { return res_; }

 private:
  Napi::Value Cqe(const Napi::CallbackInfo& info);
  Napi::Value Poll(const Napi::CallbackInfo& info);
  Napi::Value RequestNotify(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<CqRes> res_;
};

}  // namespace spliced
