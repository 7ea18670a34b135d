// Protection domain: the parent of memory regions, memory windows and queue pairs.
#pragma once
#include "context.h"

namespace spliced {

struct PdRes {
  std::shared_ptr<ContextRes> context;
  ibv_pd* pd = nullptr;
  explicit PdRes(std::shared_ptr<ContextRes> c) : context(std::move(c)) {}
  ~PdRes() { if (pd) ibv_dealloc_pd(pd); }
  PdRes(const PdRes&) = delete;
  PdRes& operator=(const PdRes&) = delete;
};

class ProtectionDomain : public Napi::ObjectWrap<ProtectionDomain> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).protectionDomain.Value(); }
  explicit ProtectionDomain(const Napi::CallbackInfo& info);
  std::shared_ptr<PdRes>& Resource() { return res_; }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<PdRes> res_;
};

}  // namespace spliced
