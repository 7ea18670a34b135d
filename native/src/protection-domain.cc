#include "protection-domain.h"
#include <cerrno>

namespace spliced {

void ProtectionDomain::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "ProtectionDomain", {
      InstanceMethod<&ProtectionDomain::Close>("close"),
  });
  Data(env).protectionDomain = Napi::Persistent(ctor);
  exports.Set("ProtectionDomain", ctor);
}

// new ProtectionDomain(context)
ProtectionDomain::ProtectionDomain(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ProtectionDomain>(info) {
  auto res = std::make_shared<PdRes>(ResourceOf<Context>(info[0], "Context"));
  res->pd = ibv_alloc_pd(res->context->context);
  if (!res->pd) throw VerbsError(info.Env(), "ibv_alloc_pd", errno);
  res_ = std::move(res);
}

Napi::Value ProtectionDomain::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

}  // namespace spliced
