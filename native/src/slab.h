// Page-aligned native memory ("slabs") exposed to JS as external ArrayBuffers. A memory
// region holds a reference to its slab, so the memory stays mapped while it is registered,
// even after JS freed or dropped the ArrayBuffer.
#pragma once
#include "common.h"

namespace spliced {

struct SlabMemory {
  void* base = nullptr;
  size_t length = 0;
  SlabMemory(void* b, size_t l) : base(b), length(l) {}
  ~SlabMemory();
  SlabMemory(const SlabMemory&) = delete;
  SlabMemory& operator=(const SlabMemory&) = delete;
};

// A byte range inside a live slab, taken from an ArrayBuffer or a view onto one.
struct SlabRange {
  std::shared_ptr<SlabMemory> memory;
  char* data = nullptr;
  size_t length = 0;
};

SlabRange ResolveSlabRange(const Napi::Value& value);

Napi::Value AllocSlab(const Napi::CallbackInfo& info);
Napi::Value FreeSlab(const Napi::CallbackInfo& info);
Napi::Value LiveSlabCount(const Napi::CallbackInfo& info);

}  // namespace spliced
