// Memory region over a slab (ibv_reg_mr), and a type 2 memory window on top of one.
#pragma once
#include "protection-domain.h"
#include "slab.h"

namespace spliced {

struct MrRes {
  std::shared_ptr<PdRes> pd;
  std::shared_ptr<SlabMemory> memory;  // keeps the pages mapped while registered
  ibv_mr* mr = nullptr;
  MrRes(std::shared_ptr<PdRes> p, std::shared_ptr<SlabMemory> m) : pd(std::move(p)), memory(std::move(m)) {}
  ~MrRes() { if (mr) ibv_dereg_mr(mr); }
  MrRes(const MrRes&) = delete;
  MrRes& operator=(const MrRes&) = delete;
};

class MemoryRegion : public Napi::ObjectWrap<MemoryRegion> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).memoryRegion.Value(); }
  explicit MemoryRegion(const Napi::CallbackInfo& info);
  std::shared_ptr<MrRes>& Resource() { return res_; }

 private:
  Napi::Value Lkey(const Napi::CallbackInfo& info);
  Napi::Value Rkey(const Napi::CallbackInfo& info);
  Napi::Value Addr(const Napi::CallbackInfo& info);
  Napi::Value Length(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<MrRes> res_;
};

struct MwRes {
  std::shared_ptr<PdRes> pd;
  ibv_mw* mw = nullptr;
  explicit MwRes(std::shared_ptr<PdRes> p) : pd(std::move(p)) {}
  ~MwRes() { if (mw) ibv_dealloc_mw(mw); }
  MwRes(const MwRes&) = delete;
  MwRes& operator=(const MwRes&) = delete;
};

class MemoryWindow : public Napi::ObjectWrap<MemoryWindow> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).memoryWindow.Value(); }
  explicit MemoryWindow(const Napi::CallbackInfo& info);
  std::shared_ptr<MwRes>& Resource() { return res_; }

 private:
  Napi::Value Rkey(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<MwRes> res_;
};

Napi::Value RegisterMemory(const Napi::CallbackInfo& info);

}  // namespace spliced
