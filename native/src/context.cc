#include "context.h"
#include <arpa/inet.h>
#include <cerrno>

namespace spliced {

int ContextRes::Open(const std::string& wanted) {
  int count = 0;
  errno = 0;
  list = rdma_get_devices(&count);
  if (!list) return errno ? errno : ENODEV;
  for (int i = 0; i < count; i++) {
    const char* devName = ibv_get_device_name(list[i]->device);
    if (wanted.empty() || wanted == devName) {
      context = list[i];
      name = devName;
      return 0;
    }
  }
  return ENODEV;
}

namespace {

const char* NodeTypeName(ibv_node_type type) {
  switch (type) {
    case IBV_NODE_CA: return "CA";
    case IBV_NODE_SWITCH: return "SWITCH";
    case IBV_NODE_ROUTER: return "ROUTER";
    case IBV_NODE_RNIC: return "RNIC";
    case IBV_NODE_USNIC: return "USNIC";
    case IBV_NODE_USNIC_UDP: return "USNIC_UDP";
    default: return "UNKNOWN";
  }
}

}  // namespace

// getDeviceNames(): names of the RDMA devices the verbs library sees.
Napi::Value GetDeviceNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = 0;
  ibv_device** devices = ibv_get_device_list(&count);
  if (!devices) throw VerbsError(env, "ibv_get_device_list", errno);
  Napi::Array names = Napi::Array::New(env, count);
  for (int i = 0; i < count; i++) names.Set(i, ibv_get_device_name(devices[i]));
  ibv_free_device_list(devices);
  return names;
}

// openContext(name?): Promise<Context>, opened on the JS thread on purpose. After a setuid
// (serve drops root) every thread holds its own credentials, and the kernel refuses uverbs
// commands on a file opened by another thread ("changed security contexts after opening
// file descriptor"); the QPs, CQs and MRs are created on the JS thread.
Napi::Value OpenContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto res = std::make_shared<ContextRes>();
  auto deferred = Napi::Promise::Deferred::New(env);
  if (int err = res->Open(name)) {
    deferred.Reject(VerbsError(env, "rdma_get_devices", err).Value());
  } else {
    deferred.Resolve(Adopt<Context>(env, res));
  }
  return deferred.Promise();
}

void Context::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Context", {
      InstanceAccessor<&Context::Name>("name"),
      InstanceMethod<&Context::QueryDevice>("queryDevice"),
      InstanceMethod<&Context::QueryPort>("queryPort"),
      InstanceMethod<&Context::QueryGid>("queryGid"),
      InstanceMethod<&Context::Close>("close"),
  });
  Data(env).context = Napi::Persistent(ctor);
  exports.Set("Context", ctor);
}

Context::Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {
  if (auto* adopted = AdoptedResource<ContextRes>(info)) {
    res_ = *adopted;
    return;
  }
  throw Napi::TypeError::New(info.Env(), "use openContext(name) to open a device");
}

Napi::Value Context::Name(const Napi::CallbackInfo& info) {
  ResourceOf<Context>(info.This(), "Context");
  return Napi::String::New(info.Env(), res_->name);
}

Napi::Value Context::QueryDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& res = ResourceOf<Context>(info.This(), "Context");
  ibv_device_attr attr{};
  int err = ibv_query_device(res->context, &attr);
  if (err) throw VerbsError(env, "ibv_query_device", err);
  Napi::Object o = Napi::Object::New(env);
  o.Set("nodeType", NodeTypeName(res->context->device->node_type));
  o.Set("transportType", static_cast<double>(res->context->device->transport_type));
  o.Set("fwVer", attr.fw_ver);
  o.Set("nodeGuid", Napi::BigInt::New(env, static_cast<uint64_t>(be64toh(attr.node_guid))));
  o.Set("maxMrSize", Napi::BigInt::New(env, static_cast<uint64_t>(attr.max_mr_size)));
  o.Set("pageSizeCap", Napi::BigInt::New(env, static_cast<uint64_t>(attr.page_size_cap)));
  o.Set("vendorId", attr.vendor_id);
  o.Set("deviceCapFlags", attr.device_cap_flags);
  o.Set("maxQp", attr.max_qp);
  o.Set("maxQpWr", attr.max_qp_wr);
  o.Set("maxSge", attr.max_sge);
  o.Set("maxSgeRd", attr.max_sge_rd);
  o.Set("maxCq", attr.max_cq);
  o.Set("maxCqe", attr.max_cqe);
  o.Set("maxMr", attr.max_mr);
  o.Set("maxPd", attr.max_pd);
  o.Set("maxMw", attr.max_mw);
  o.Set("maxQpRdAtom", attr.max_qp_rd_atom);
  o.Set("maxQpInitRdAtom", attr.max_qp_init_rd_atom);
  o.Set("atomicCap", static_cast<double>(attr.atomic_cap));
  o.Set("physPortCnt", attr.phys_port_cnt);
  // The user verbs ABI does not report it (fast registration is a kernel-only verb);
  // user space registers with ibv_reg_mr and invalidates through memory windows.
  o.Set("maxFastRegPageListLen", env.Null());
  return o;
}

Napi::Value Context::QueryPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& res = ResourceOf<Context>(info.This(), "Context");
  uint32_t port = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 1;
  ibv_port_attr attr{};
  int err = ibv_query_port(res->context, static_cast<uint8_t>(port), &attr);
  if (err) throw VerbsError(env, "ibv_query_port", err);
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", static_cast<double>(attr.state));
  o.Set("maxMtu", static_cast<double>(attr.max_mtu));
  o.Set("activeMtu", static_cast<double>(attr.active_mtu));
  o.Set("gidTblLen", attr.gid_tbl_len);
  o.Set("maxMsgSz", attr.max_msg_sz);
  o.Set("lid", attr.lid);
  o.Set("linkLayer", static_cast<double>(attr.link_layer));
  return o;
}

Napi::Value Context::QueryGid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& res = ResourceOf<Context>(info.This(), "Context");
  uint32_t port = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 1;
  int index = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  ibv_gid gid{};
  if (ibv_query_gid(res->context, static_cast<uint8_t>(port), index, &gid)) {
    throw VerbsError(env, "ibv_query_gid", errno);
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, gid.raw, text, sizeof text);
  return Napi::String::New(env, text);
}

Napi::Value Context::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

}  // namespace spliced
