// An Error carrying errno: shared by both addons (spliced_rdma and spliced_fs), header-only so
// spliced_fs still builds without the RDMA headers.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace spliced {

// An Error whose message is "<call>: <strerror>" with .errno, .code and .syscall set.
inline Napi::Error ErrnoError(Napi::Env env, const char* call, int err) {
  const char* name = strerrorname_np(err);
  Napi::Error error = Napi::Error::New(env, std::string(call) + ": " + std::strerror(err));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  error.Set("syscall", Napi::String::New(env, call));
  return error;
}

}  // namespace spliced
