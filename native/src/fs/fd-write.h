// writeRunsStat: a batch of positional writes to one descriptor between two fstat calls, in one
// thread-pool job (see fd-write.cc).
#pragma once
#include <napi.h>

namespace spliced {

Napi::Value WriteRunsStat(const Napi::CallbackInfo& info);

}  // namespace spliced
