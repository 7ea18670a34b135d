// readDirectoryAt / readDirectoryNext: one batch of a directory listing in one thread-pool job (see dir-read.cc).
#pragma once
#include <napi.h>

namespace spliced {

Napi::Value ReadDirectoryAt(const Napi::CallbackInfo& info);
Napi::Value ReadDirectoryNext(const Napi::CallbackInfo& info);

}  // namespace spliced
