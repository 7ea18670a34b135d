// Shared helpers for the verbs binding: errors that carry errno and the verbs call's name,
// and calling back into JS from libuv callbacks.
#pragma once
#include <napi.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <cstdint>
#include <memory>
#include <string>

namespace spliced {

// An Error whose message is "<call>: <strerror>" with .errno, .code and .syscall set.
Napi::Error VerbsError(Napi::Env env, const char* call, int err);

// Calls fn(args) from a libuv callback: runs microtasks and reports a throw as uncaught.
void InvokeFromLoop(Napi::Env env, napi_async_context context, const Napi::FunctionReference& fn,
                    const std::initializer_list<napi_value>& args);

uint32_t GetUint32(const Napi::Object& obj, const char* key, uint32_t fallback);
uint32_t RequireUint32(const Napi::Object& obj, const char* key);
uint64_t ToUint64(const Napi::Value& value, const char* what);
uint64_t RequireUint64(const Napi::Object& obj, const char* key);

// The wrapped resource behind a JS object of class T, or a TypeError if it is another object
// or was closed.
template <typename T>
auto& ResourceOf(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(T::Constructor(env))) {
    throw Napi::TypeError::New(env, std::string("expected a ") + what);
  }
  T* wrapper = T::Unwrap(value.As<Napi::Object>());
  if (!wrapper->Resource()) throw Napi::Error::New(env, std::string(what) + " is closed");
  return wrapper->Resource();
}

class SendPoster;

// Per-environment state: constructors, so native code can create wrappers (CM ids for
// incoming connections, objects made by async workers), and the send poster thread.
struct AddonData {
  Napi::FunctionReference context, protectionDomain, memoryRegion, memoryWindow,
      completionChannel, completionQueue, queuePair, cmEventChannel, cmId;
  std::shared_ptr<SendPoster> poster;  // started on first postSendAsync
};
inline AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Creates a wrapper of class T around an existing resource (the constructor takes it as an
// External that only lives for the duration of the call).
template <typename T, typename Res>
Napi::Object Adopt(Napi::Env env, std::shared_ptr<Res> res) {
  return T::Constructor(env).New({Napi::External<std::shared_ptr<Res>>::New(env, &res)});
}
template <typename Res>
std::shared_ptr<Res>* AdoptedResource(const Napi::CallbackInfo& info) {
  if (info.Length() == 1 && info[0].IsExternal()) {
    return info[0].As<Napi::External<std::shared_ptr<Res>>>().Data();
  }
  return nullptr;
}

}  // namespace spliced
