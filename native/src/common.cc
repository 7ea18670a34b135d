#include "common.h"
#include "errno-error.h"
#include <cerrno>

namespace spliced {

Napi::Error VerbsError(Napi::Env env, const char* call, int err) {
  return ErrnoError(env, call, err == 0 ? EIO : err);  // some verbs calls fail without setting errno
}

void InvokeFromLoop(Napi::Env env, napi_async_context context, const Napi::FunctionReference& fn,
                    const std::initializer_list<napi_value>& args) {
  if (fn.IsEmpty()) return;
  napi_value global, result;
  napi_get_global(env, &global);
  napi_status status = napi_make_callback(env, context, global, fn.Value(), args.size(),
                                          args.begin(), &result);
  if (status == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

uint32_t GetUint32(const Napi::Object& obj, const char* key, uint32_t fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(obj.Env(), std::string(key) + " must be a uint32");
  }
  return static_cast<uint32_t>(d);
}

uint32_t RequireUint32(const Napi::Object& obj, const char* key) {
  if (obj.Get(key).IsUndefined()) {
    throw Napi::TypeError::New(obj.Env(), std::string(key) + " is required");
  }
  return GetUint32(obj, key, 0);
}

uint64_t ToUint64(const Napi::Value& value, const char* what) {
  if (value.IsBigInt()) {
    bool lossless = false;
    uint64_t v = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(value.Env(), std::string(what) + " must be a uint64");
    return v;
  }
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<uint64_t>(d))) {
      throw Napi::RangeError::New(value.Env(), std::string(what) + " must be a safe integer");
    }
    return static_cast<uint64_t>(d);
  }
  throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a bigint or number");
}

uint64_t RequireUint64(const Napi::Object& obj, const char* key) {
  return ToUint64(obj.Get(key), key);
}

}  // namespace spliced
