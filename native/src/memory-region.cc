#include "memory-region.h"
#include <cerrno>

namespace spliced {
namespace {

// Registration pins pages, which takes a while for large slabs: done off the JS thread. Not
// usable after a setuid (see openContext): then use the synchronous MemoryRegion constructor.
class RegisterWorker : public Napi::AsyncWorker {
 public:
  RegisterWorker(Napi::Env env, std::shared_ptr<MrRes> res, void* addr, size_t length, int access)
      : Napi::AsyncWorker(env, "spliced:registerMemory"), deferred_(env), res_(std::move(res)),
        addr_(addr), length_(length), access_(access) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    res_->mr = ibv_reg_mr(res_->pd->pd, addr_, length_, access_);
    if (!res_->mr) err_ = errno;
  }
  void OnOK() override {
    if (!res_->mr) {
      deferred_.Reject(VerbsError(Env(), "ibv_reg_mr", err_).Value());
      return;
    }
    deferred_.Resolve(Adopt<MemoryRegion>(Env(), res_));
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MrRes> res_;
  void* addr_;
  size_t length_;
  int access_;
  int err_ = 0;
};

struct Registration {
  std::shared_ptr<MrRes> res;
  SlabRange range;
  int access;
};

Registration Prepare(const Napi::CallbackInfo& info) {
  auto& pd = ResourceOf<ProtectionDomain>(info[0], "ProtectionDomain");
  SlabRange range = ResolveSlabRange(info[1]);
  if (range.length == 0) throw Napi::RangeError::New(info.Env(), "cannot register an empty range");
  int access = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : IBV_ACCESS_LOCAL_WRITE;
  return Registration{std::make_shared<MrRes>(pd, range.memory), range, access};
}

}  // namespace

// registerMemory(pd, slabOrView, access): Promise<MemoryRegion>.
Napi::Value RegisterMemory(const Napi::CallbackInfo& info) {
  Registration r = Prepare(info);
  auto* worker = new RegisterWorker(info.Env(), r.res, r.range.data, r.range.length, r.access);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void MemoryRegion::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "MemoryRegion", {
      InstanceAccessor<&MemoryRegion::Lkey>("lkey"),
      InstanceAccessor<&MemoryRegion::Rkey>("rkey"),
      InstanceAccessor<&MemoryRegion::Addr>("addr"),
      InstanceAccessor<&MemoryRegion::Length>("length"),
      InstanceMethod<&MemoryRegion::Close>("close"),
  });
  Data(env).memoryRegion = Napi::Persistent(ctor);
  exports.Set("MemoryRegion", ctor);
}

// new MemoryRegion(pd, slabOrView, access): synchronous registration.
MemoryRegion::MemoryRegion(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MemoryRegion>(info) {
  if (auto* adopted = AdoptedResource<MrRes>(info)) {
    res_ = *adopted;
    return;
  }
  Registration r = Prepare(info);
  r.res->mr = ibv_reg_mr(r.res->pd->pd, r.range.data, r.range.length, r.access);
  if (!r.res->mr) throw VerbsError(info.Env(), "ibv_reg_mr", errno);
  res_ = std::move(r.res);
}

Napi::Value MemoryRegion::Lkey(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ResourceOf<MemoryRegion>(info.This(), "MemoryRegion")->mr->lkey);
}
Napi::Value MemoryRegion::Rkey(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ResourceOf<MemoryRegion>(info.This(), "MemoryRegion")->mr->rkey);
}
Napi::Value MemoryRegion::Addr(const Napi::CallbackInfo& info) {
  auto* mr = ResourceOf<MemoryRegion>(info.This(), "MemoryRegion")->mr;
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(mr->addr)));
}
Napi::Value MemoryRegion::Length(const Napi::CallbackInfo& info) {
  auto* mr = ResourceOf<MemoryRegion>(info.This(), "MemoryRegion")->mr;
  return Napi::Number::New(info.Env(), static_cast<double>(mr->length));
}
Napi::Value MemoryRegion::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

void MemoryWindow::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "MemoryWindow", {
      InstanceAccessor<&MemoryWindow::Rkey>("rkey"),
      InstanceMethod<&MemoryWindow::Close>("close"),
  });
  Data(env).memoryWindow = Napi::Persistent(ctor);
  exports.Set("MemoryWindow", ctor);
}

// new MemoryWindow(pd): a type 2 window, bound with a BIND_MW work request.
MemoryWindow::MemoryWindow(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MemoryWindow>(info) {
  auto res = std::make_shared<MwRes>(ResourceOf<ProtectionDomain>(info[0], "ProtectionDomain"));
  res->mw = ibv_alloc_mw(res->pd->pd, IBV_MW_TYPE_2);
  if (!res->mw) throw VerbsError(info.Env(), "ibv_alloc_mw", errno);
  res_ = std::move(res);
}

Napi::Value MemoryWindow::Rkey(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ResourceOf<MemoryWindow>(info.This(), "MemoryWindow")->mw->rkey);
}
Napi::Value MemoryWindow::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

}  // namespace spliced
