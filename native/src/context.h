// Device list and device context. Contexts come from rdma_get_devices(), so they are the
// same ibv_context objects that rdma_cm binds CM ids to (a PD must share its id's context).
#pragma once
#include "common.h"

namespace spliced {

struct ContextRes {
  ibv_context** list = nullptr;
  ibv_context* context = nullptr;
  std::string name;
  ContextRes() = default;
  ~ContextRes() { if (list) rdma_free_devices(list); }
  ContextRes(const ContextRes&) = delete;
  ContextRes& operator=(const ContextRes&) = delete;
  // Opens the named device (the first one when name is empty); errno-style result.
  int Open(const std::string& wanted);
};

class Context : public Napi::ObjectWrap<Context> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).context.Value(); }
  explicit Context(const Napi::CallbackInfo& info);
  std::shared_ptr<ContextRes>& Resource() { return res_; }

 private:
  Napi::Value Name(const Napi::CallbackInfo& info);
  Napi::Value QueryDevice(const Napi::CallbackInfo& info);
  Napi::Value QueryPort(const Napi::CallbackInfo& info);
  Napi::Value QueryGid(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<ContextRes> res_;
};

Napi::Value GetDeviceNames(const Napi::CallbackInfo& info);
Napi::Value OpenContext(const Napi::CallbackInfo& info);

}  // namespace spliced
