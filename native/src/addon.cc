// Entry point of the spliced_rdma addon: one class per verbs object, plus the slab
// allocator and the numeric constants of the verbs/rdma_cm ABI (for checking the TS tables).
#include "queue-pair.h"

namespace spliced {
namespace {

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("IBV_WR_RDMA_WRITE", static_cast<double>(IBV_WR_RDMA_WRITE));
  c.Set("IBV_WR_RDMA_WRITE_WITH_IMM", static_cast<double>(IBV_WR_RDMA_WRITE_WITH_IMM));
  c.Set("IBV_WR_SEND", static_cast<double>(IBV_WR_SEND));
  c.Set("IBV_WR_SEND_WITH_IMM", static_cast<double>(IBV_WR_SEND_WITH_IMM));
  c.Set("IBV_WR_RDMA_READ", static_cast<double>(IBV_WR_RDMA_READ));
  c.Set("IBV_WR_LOCAL_INV", static_cast<double>(IBV_WR_LOCAL_INV));
  c.Set("IBV_WR_BIND_MW", static_cast<double>(IBV_WR_BIND_MW));
  c.Set("IBV_WR_SEND_WITH_INV", static_cast<double>(IBV_WR_SEND_WITH_INV));
  c.Set("IBV_SEND_FENCE", static_cast<double>(IBV_SEND_FENCE));
  c.Set("IBV_SEND_SIGNALED", static_cast<double>(IBV_SEND_SIGNALED));
  c.Set("IBV_SEND_SOLICITED", static_cast<double>(IBV_SEND_SOLICITED));
  c.Set("IBV_SEND_INLINE", static_cast<double>(IBV_SEND_INLINE));
  c.Set("IBV_ACCESS_LOCAL_WRITE", static_cast<double>(IBV_ACCESS_LOCAL_WRITE));
  c.Set("IBV_ACCESS_REMOTE_WRITE", static_cast<double>(IBV_ACCESS_REMOTE_WRITE));
  c.Set("IBV_ACCESS_REMOTE_READ", static_cast<double>(IBV_ACCESS_REMOTE_READ));
  c.Set("IBV_ACCESS_REMOTE_ATOMIC", static_cast<double>(IBV_ACCESS_REMOTE_ATOMIC));
  c.Set("IBV_ACCESS_MW_BIND", static_cast<double>(IBV_ACCESS_MW_BIND));
  c.Set("IBV_WC_SUCCESS", static_cast<double>(IBV_WC_SUCCESS));
  c.Set("IBV_WC_LOC_PROT_ERR", static_cast<double>(IBV_WC_LOC_PROT_ERR));
  c.Set("IBV_WC_WR_FLUSH_ERR", static_cast<double>(IBV_WC_WR_FLUSH_ERR));
  c.Set("IBV_WC_REM_ACCESS_ERR", static_cast<double>(IBV_WC_REM_ACCESS_ERR));
  c.Set("IBV_WC_SEND", static_cast<double>(IBV_WC_SEND));
  c.Set("IBV_WC_RDMA_WRITE", static_cast<double>(IBV_WC_RDMA_WRITE));
  c.Set("IBV_WC_RDMA_READ", static_cast<double>(IBV_WC_RDMA_READ));
  c.Set("IBV_WC_BIND_MW", static_cast<double>(IBV_WC_BIND_MW));
  c.Set("IBV_WC_RECV", static_cast<double>(IBV_WC_RECV));
  c.Set("IBV_WC_RECV_RDMA_WITH_IMM", static_cast<double>(IBV_WC_RECV_RDMA_WITH_IMM));
  c.Set("IBV_WC_WITH_IMM", static_cast<double>(IBV_WC_WITH_IMM));
  c.Set("IBV_WC_WITH_INV", static_cast<double>(IBV_WC_WITH_INV));
  c.Set("RDMA_CM_EVENT_CONNECT_REQUEST", static_cast<double>(RDMA_CM_EVENT_CONNECT_REQUEST));
  c.Set("RDMA_CM_EVENT_ESTABLISHED", static_cast<double>(RDMA_CM_EVENT_ESTABLISHED));
  c.Set("RDMA_CM_EVENT_DISCONNECTED", static_cast<double>(RDMA_CM_EVENT_DISCONNECTED));
  return c;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  Context::Init(env, exports);
  ProtectionDomain::Init(env, exports);
  MemoryRegion::Init(env, exports);
  MemoryWindow::Init(env, exports);
  CompletionChannel::Init(env, exports);
  CompletionQueue::Init(env, exports);
  CmEventChannel::Init(env, exports);
  CmId::Init(env, exports);
  QueuePair::Init(env, exports);
  exports.Set("getDeviceNames", Napi::Function::New<GetDeviceNames>(env, "getDeviceNames"));
  exports.Set("openContext", Napi::Function::New<OpenContext>(env, "openContext"));
  exports.Set("registerMemory", Napi::Function::New<RegisterMemory>(env, "registerMemory"));
  exports.Set("allocSlab", Napi::Function::New<AllocSlab>(env, "allocSlab"));
  exports.Set("freeSlab", Napi::Function::New<FreeSlab>(env, "freeSlab"));
  exports.Set("liveSlabCount", Napi::Function::New<LiveSlabCount>(env, "liveSlabCount"));
  exports.Set("constants", Constants(env));
  return exports;
}

}  // namespace
}  // namespace spliced

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return spliced::Init(env, exports); }

NODE_API_MODULE(spliced_rdma, InitAddon)
