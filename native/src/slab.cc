#include "slab.h"
#include <sys/mman.h>
#include <unistd.h>
#include <mutex>
#include <unordered_map>

namespace spliced {
namespace {

// Owned by the ArrayBuffer's finalizer; drops the JS side's share of the memory.
struct SlabHolder {
  std::shared_ptr<SlabMemory> memory;
  // Bytes taken out of V8's external-memory count (see UncountSlab) and not yet given back.
  int64_t uncounted = 0;
};

// V8 counts an external ArrayBuffer's bytes as memory a garbage collection may free, and starts
// mark-compacts as that count grows (about one per 16 new 4 MiB slabs while a fresh cache
// fills). No collection frees a slab: freeSlab does. So a slab's bytes leave the count when it
// is made, and go back once V8 lets go of the ArrayBuffer (freeSlab's detach, or the finalizer
// of a slab never freed), which takes them out again itself.
void UncountSlab(Napi::Env env, SlabHolder* holder, size_t bytes) {
  holder->uncounted = static_cast<int64_t>(bytes);
  Napi::MemoryManagement::AdjustExternalMemory(env, -holder->uncounted);
}

void RecountSlab(Napi::Env env, SlabHolder* holder) {
  if (holder->uncounted == 0) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, holder->uncounted);
  holder->uncounted = 0;
}

// Slabs that JS can still reach, by base address. Leaked on purpose: finalizers may run
// during environment teardown, after static destructors would have run.
struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, SlabHolder*> live;
};
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

void FinalizeSlab(Napi::Env env, void* data, SlabHolder* holder) {
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.live.find(data);
    if (it != r.live.end() && it->second == holder) r.live.erase(it);
  }
  RecountSlab(env, holder);
  delete holder;
}

Napi::ArrayBuffer BufferOf(const Napi::Value& value, size_t* offset, size_t* length) {
  if (value.IsArrayBuffer()) {
    auto ab = value.As<Napi::ArrayBuffer>();
    *offset = 0;
    *length = ab.ByteLength();
    return ab;
  }
  if (value.IsTypedArray()) {
    auto ta = value.As<Napi::TypedArray>();
    *offset = ta.ByteOffset();
    *length = ta.ByteLength();
    return ta.ArrayBuffer();
  }
  if (value.IsDataView()) {
    auto dv = value.As<Napi::DataView>();
    *offset = dv.ByteOffset();
    *length = dv.ByteLength();
    return dv.ArrayBuffer();
  }
  throw Napi::TypeError::New(value.Env(), "expected a slab ArrayBuffer or a view onto one");
}

}  // namespace

SlabMemory::~SlabMemory() { munmap(base, length); }

SlabRange ResolveSlabRange(const Napi::Value& value) {
  size_t offset = 0, length = 0;
  Napi::ArrayBuffer ab = BufferOf(value, &offset, &length);
  void* data = ab.Data();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = data ? r.live.find(data) : r.live.end();
  if (it == r.live.end()) {
    throw Napi::TypeError::New(value.Env(), "memory must come from allocSlab() and not be freed");
  }
  return SlabRange{it->second->memory, static_cast<char*>(data) + offset, length};
}

// allocSlab(bytes): a zeroed, page-aligned external ArrayBuffer of exactly `bytes` bytes.
Napi::Value AllocSlab(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double requested = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(requested >= 1 && requested <= 64.0 * 1024 * 1024 * 1024) ||
      requested != static_cast<double>(static_cast<size_t>(requested))) {
    throw Napi::RangeError::New(env, "allocSlab: bytes must be an integer in [1, 64 GiB]");
  }
  size_t bytes = static_cast<size_t>(requested);
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t mapped = (bytes + page - 1) / page * page;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw VerbsError(env, "mmap", errno);
  auto* holder = new SlabHolder{std::make_shared<SlabMemory>(base, mapped)};
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.live[base] = holder;
  }
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, base, bytes, FinalizeSlab, holder);
  UncountSlab(env, holder, bytes);
  return buffer;
}

// freeSlab(buffer): detaches the ArrayBuffer and releases JS's share of the memory now.
// Idempotent; a registered memory region keeps the pages mapped until it is closed.
Napi::Value FreeSlab(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "freeSlab: expected an ArrayBuffer");
  auto ab = info[0].As<Napi::ArrayBuffer>();
  void* data = ab.Data();
  SlabHolder* holder = nullptr;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = data ? r.live.find(data) : r.live.end();
    if (it == r.live.end()) return env.Undefined();
    holder = it->second;
    r.live.erase(it);
  }
  ab.Detach();
  RecountSlab(env, holder);
  holder->memory.reset();  // the holder itself goes with the finalizer
  return env.Undefined();
}

Napi::Value LiveSlabCount(const Napi::CallbackInfo& info) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(r.live.size()));
}

}  // namespace spliced
