// rdma_cm event channel and CM ids. The channel's fd is watched on the event loop; each CM
// event becomes a plain record (private data copied) and is acked before JS sees it, so
// rdma_destroy_id never waits. An open CM id keeps its JS object (and the event loop)
// alive, like a socket, until close().
#pragma once
#include "common.h"
#include "fd-poller.h"

namespace spliced {

class CmId;

struct CmChannelRes : std::enable_shared_from_this<CmChannelRes> {
  rdma_event_channel* channel = nullptr;
  std::unique_ptr<FdPoller> poller;
  napi_env env = nullptr;
  napi_async_context asyncContext = nullptr;
  Napi::FunctionReference onEvent;
  int openIds = 0;
  CmChannelRes() = default;
  ~CmChannelRes();
  CmChannelRes(const CmChannelRes&) = delete;
  CmChannelRes& operator=(const CmChannelRes&) = delete;
  void OnReadable();
  void IdOpened();
  void IdClosed();
};

struct CmIdRes {
  std::shared_ptr<CmChannelRes> channel;
  rdma_cm_id* id = nullptr;
  CmId* wrapper = nullptr;  // null once JS closed the id
  explicit CmIdRes(std::shared_ptr<CmChannelRes> c) : channel(std::move(c)) {}
  ~CmIdRes() { if (id) rdma_destroy_id(id); }
  CmIdRes(const CmIdRes&) = delete;
  CmIdRes& operator=(const CmIdRes&) = delete;
};

class CmEventChannel : public Napi::ObjectWrap<CmEventChannel> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).cmEventChannel.Value(); }
  explicit CmEventChannel(const Napi::CallbackInfo& info);
  std::shared_ptr<CmChannelRes>& Resource() { return res_; }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<CmChannelRes> res_;
};

class CmId : public Napi::ObjectWrap<CmId> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).cmId.Value(); }
  explicit CmId(const Napi::CallbackInfo& info);
  ~CmId() override;
  std::shared_ptr<CmIdRes>& Resource() { return res_; }

 private:
  void Attach(std::shared_ptr<CmIdRes> res);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value ResolveAddr(const Napi::CallbackInfo& info);
  Napi::Value ResolveRoute(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Reject(const Napi::CallbackInfo& info);
  Napi::Value Disconnect(const Napi::CallbackInfo& info);
  Napi::Value DeviceName(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value RemoteAddress(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<CmIdRes> res_;
};

}  // namespace spliced
