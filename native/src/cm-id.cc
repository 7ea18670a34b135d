#include "cm-id.h"
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <vector>

namespace spliced {
namespace {

constexpr const char kEventPrefix[] = "RDMA_CM_EVENT_";

sockaddr_storage ParseAddress(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "address must be { host, port }");
  Napi::Object o = value.As<Napi::Object>();
  std::string host = o.Get("host").IsString() ? o.Get("host").As<Napi::String>().Utf8Value() : "0.0.0.0";
  uint32_t port = GetUint32(o, "port", 0);
  if (port > 65535) throw Napi::RangeError::New(env, "port must be <= 65535");
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
  } else {
    throw Napi::TypeError::New(env, "host must be a numeric IPv4 or IPv6 address");
  }
  return ss;
}

Napi::Value AddressRecord(Napi::Env env, const sockaddr* sa, uint16_t portBe) {
  char text[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  } else {
    return env.Null();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("host", text);
  o.Set("port", ntohs(portBe));
  return o;
}

std::vector<uint8_t> PrivateData(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return {};
  if (!value.IsTypedArray()) throw Napi::TypeError::New(value.Env(), "privateData must be a Uint8Array");
  auto bytes = value.As<Napi::TypedArrayOf<uint8_t>>();
  if (bytes.TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "privateData must be a Uint8Array");
  }
  return std::vector<uint8_t>(bytes.Data(), bytes.Data() + bytes.ElementLength());
}

// Connection parameters from { privateData, responderResources, initiatorDepth, retryCount,
// rnrRetryCount }; `data` owns the private data bytes the result points to.
rdma_conn_param ConnParam(const Napi::Value& value, std::vector<uint8_t>& data) {
  Napi::Object o = value.IsObject() ? value.As<Napi::Object>() : Napi::Object::New(value.Env());
  data = PrivateData(o.Get("privateData"));
  if (data.size() > 255) throw Napi::RangeError::New(value.Env(), "privateData is longer than 255 bytes");
  rdma_conn_param p{};
  p.private_data = data.empty() ? nullptr : data.data();
  p.private_data_len = static_cast<uint8_t>(data.size());
  p.responder_resources = static_cast<uint8_t>(std::min<uint32_t>(GetUint32(o, "responderResources", 1), 255));
  p.initiator_depth = static_cast<uint8_t>(std::min<uint32_t>(GetUint32(o, "initiatorDepth", 1), 255));
  p.retry_count = static_cast<uint8_t>(std::min<uint32_t>(GetUint32(o, "retryCount", 7), 7));
  p.rnr_retry_count = static_cast<uint8_t>(std::min<uint32_t>(GetUint32(o, "rnrRetryCount", 7), 7));
  p.flow_control = 1;
  return p;
}

bool HasConnParam(rdma_cm_event_type type) {
  return type == RDMA_CM_EVENT_CONNECT_REQUEST || type == RDMA_CM_EVENT_CONNECT_RESPONSE ||
         type == RDMA_CM_EVENT_ESTABLISHED || type == RDMA_CM_EVENT_REJECTED;
}

Napi::Value JsObjectOf(Napi::Env env, CmIdRes* res);

// What JS needs from one event, copied so the event can be acked before any JS runs.
struct EventCopy {
  rdma_cm_event_type type;
  int status;
  rdma_cm_id* id;
  rdma_cm_id* listenId;
  rdma_conn_param conn;
  std::vector<uint8_t> privateData;
  explicit EventCopy(const rdma_cm_event* ev)
      : type(ev->event), status(ev->status), id(ev->id), listenId(ev->listen_id), conn(ev->param.conn) {
    if (HasConnParam(type) && conn.private_data && conn.private_data_len) {
      auto* bytes = static_cast<const uint8_t*>(conn.private_data);
      privateData.assign(bytes, bytes + conn.private_data_len);
    }
  }
};

// The plain record for one event, or undefined when the event's id was closed by JS.
Napi::Value EventRecord(Napi::Env env, const std::shared_ptr<CmChannelRes>& channel, const EventCopy& ev) {
  Napi::Object o = Napi::Object::New(env);
  if (ev.type == RDMA_CM_EVENT_CONNECT_REQUEST) {
    // The new id inherits the listener's context pointer: give it its own wrapper.
    auto listener = static_cast<CmIdRes*>(ev.listenId->context);
    auto res = std::make_shared<CmIdRes>(channel);
    res->id = ev.id;
    ev.id->context = res.get();
    o.Set("id", Adopt<CmId>(env, res));
    o.Set("listenId", JsObjectOf(env, listener));
  } else {
    Napi::Value id = JsObjectOf(env, static_cast<CmIdRes*>(ev.id->context));
    if (id.IsNull()) return env.Undefined();
    o.Set("id", id);
  }
  const char* name = rdma_event_str(ev.type);
  if (std::strncmp(name, kEventPrefix, sizeof kEventPrefix - 1) == 0) name += sizeof kEventPrefix - 1;
  o.Set("event", Napi::Number::New(env, ev.type));
  o.Set("name", name);
  o.Set("status", Napi::Number::New(env, ev.status));
  if (HasConnParam(ev.type)) {
    if (!ev.privateData.empty()) {
      o.Set("privateData", Napi::Buffer<uint8_t>::Copy(env, ev.privateData.data(), ev.privateData.size()));
    }
    o.Set("responderResources", ev.conn.responder_resources);
    o.Set("initiatorDepth", ev.conn.initiator_depth);
    o.Set("retryCount", ev.conn.retry_count);
    o.Set("rnrRetryCount", ev.conn.rnr_retry_count);
    o.Set("qpNum", ev.conn.qp_num);
  }
  return o;
}

}  // namespace

CmChannelRes::~CmChannelRes() {
  poller.reset();  // stop watching before the fd closes
  if (channel) rdma_destroy_event_channel(channel);
  if (asyncContext) napi_async_destroy(env, asyncContext);
}

void CmChannelRes::IdOpened() {
  if (openIds++ == 0) poller->SetKeepsLoopAlive(true);
}

void CmChannelRes::IdClosed() {
  if (--openIds == 0) poller->SetKeepsLoopAlive(false);
}

void CmChannelRes::OnReadable() {
  // JS may close the channel and its ids from a callback: stay alive until the loop ends.
  std::shared_ptr<CmChannelRes> keep = shared_from_this();
  Napi::Env jsEnv(env);
  for (;;) {
    rdma_cm_event* raw = nullptr;
    if (rdma_get_cm_event(channel, &raw)) return;  // EAGAIN: drained
    if (onEvent.IsEmpty()) {
      // JS closed the channel: nobody can take an incoming connection, so refuse it.
      rdma_cm_id* orphan = raw->event == RDMA_CM_EVENT_CONNECT_REQUEST ? raw->id : nullptr;
      if (orphan) rdma_reject(orphan, nullptr, 0);
      rdma_ack_cm_event(raw);
      if (orphan) rdma_destroy_id(orphan);
      continue;
    }
    EventCopy copy(raw);
    rdma_ack_cm_event(raw);  // before anything can throw or run JS: rdma_destroy_id waits for acks
    Napi::HandleScope scope(jsEnv);
    try {
      Napi::Value record = EventRecord(jsEnv, keep, copy);
      if (!record.IsUndefined()) InvokeFromLoop(jsEnv, asyncContext, onEvent, {record});
    } catch (const Napi::Error& error) {
      napi_fatal_exception(env, error.Value());
    }
  }
}

void CmEventChannel::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "CmEventChannel", {
      InstanceMethod<&CmEventChannel::Close>("close"),
  });
  Data(env).cmEventChannel = Napi::Persistent(ctor);
  exports.Set("CmEventChannel", ctor);
}

// new CmEventChannel(onEvent(record))
CmEventChannel::CmEventChannel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CmEventChannel>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "onEvent must be a function");
  auto res = std::make_shared<CmChannelRes>();
  res->env = env;
  res->channel = rdma_create_event_channel();
  if (!res->channel) throw VerbsError(env, "rdma_create_event_channel", errno);
  if (int err = MakeNonBlocking(res->channel->fd)) throw VerbsError(env, "fcntl", err);
  CmChannelRes* raw = res.get();
  res->poller = std::make_unique<FdPoller>(env, res->channel->fd, [raw] { raw->OnReadable(); });
  res->poller->SetKeepsLoopAlive(false);
  res->onEvent = Napi::Persistent(info[0].As<Napi::Function>());
  napi_value name = Napi::String::New(env, "spliced:cm-event");
  napi_async_init(env, nullptr, name, &res->asyncContext);
  res_ = std::move(res);
}

// Stops callbacks; the channel goes when its last CM id is gone.
Napi::Value CmEventChannel::Close(const Napi::CallbackInfo& info) {
  if (res_) res_->onEvent.Reset();
  res_.reset();
  return info.Env().Undefined();
}

namespace {
Napi::Value JsObjectOf(Napi::Env env, CmIdRes* res) {
  return res && res->wrapper ? Napi::Value(res->wrapper->Value()) : env.Null();
}
}  // namespace

void CmId::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "CmId", {
      InstanceMethod<&CmId::Bind>("bind"),
      InstanceMethod<&CmId::Listen>("listen"),
      InstanceMethod<&CmId::ResolveAddr>("resolveAddr"),
      InstanceMethod<&CmId::ResolveRoute>("resolveRoute"),
      InstanceMethod<&CmId::Connect>("connect"),
      InstanceMethod<&CmId::Accept>("accept"),
      InstanceMethod<&CmId::Reject>("reject"),
      InstanceMethod<&CmId::Disconnect>("disconnect"),
      InstanceAccessor<&CmId::DeviceName>("deviceName"),
      InstanceAccessor<&CmId::LocalAddress>("localAddress"),
      InstanceAccessor<&CmId::RemoteAddress>("remoteAddress"),
      InstanceMethod<&CmId::Close>("close"),
  });
  Data(env).cmId = Napi::Persistent(ctor);
  exports.Set("CmId", ctor);
}

// new CmId(channel): an RC (RDMA_PS_TCP) id whose events arrive on channel.
CmId::CmId(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CmId>(info) {
  if (auto* adopted = AdoptedResource<CmIdRes>(info)) {
    Attach(*adopted);
    return;
  }
  auto res = std::make_shared<CmIdRes>(ResourceOf<CmEventChannel>(info[0], "CmEventChannel"));
  if (rdma_create_id(res->channel->channel, &res->id, res.get(), RDMA_PS_TCP)) {
    res->id = nullptr;
    throw VerbsError(info.Env(), "rdma_create_id", errno);
  }
  Attach(std::move(res));
}

CmId::~CmId() {
  if (res_) res_->wrapper = nullptr;  // only at environment teardown: open ids are referenced
}

void CmId::Attach(std::shared_ptr<CmIdRes> res) {
  res_ = std::move(res);
  res_->wrapper = this;
  res_->channel->IdOpened();
  Ref();  // alive until close(), so its events always have a JS object
}

#define CM_CALL(call, ...)                                                     \
  do {                                                                         \
    if (call(__VA_ARGS__)) throw VerbsError(info.Env(), #call, errno);         \
  } while (0)

Napi::Value CmId::Bind(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  sockaddr_storage addr = ParseAddress(info[0]);
  CM_CALL(rdma_bind_addr, res->id, reinterpret_cast<sockaddr*>(&addr));
  return info.Env().Undefined();
}

Napi::Value CmId::Listen(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  int backlog = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 64;
  CM_CALL(rdma_listen, res->id, backlog);
  return info.Env().Undefined();
}

// resolveAddr(destination, timeoutMs = 2000, source?) -> ADDR_RESOLVED / ADDR_ERROR
Napi::Value CmId::ResolveAddr(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  sockaddr_storage dst = ParseAddress(info[0]);
  int timeout = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 2000;
  sockaddr_storage src{};
  bool hasSrc = info.Length() > 2 && info[2].IsObject();
  if (hasSrc) src = ParseAddress(info[2]);
  CM_CALL(rdma_resolve_addr, res->id, hasSrc ? reinterpret_cast<sockaddr*>(&src) : nullptr,
          reinterpret_cast<sockaddr*>(&dst), timeout);
  return info.Env().Undefined();
}

// resolveRoute(timeoutMs = 2000) -> ROUTE_RESOLVED / ROUTE_ERROR
Napi::Value CmId::ResolveRoute(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  int timeout = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 2000;
  CM_CALL(rdma_resolve_route, res->id, timeout);
  return info.Env().Undefined();
}

Napi::Value CmId::Connect(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  std::vector<uint8_t> data;
  rdma_conn_param param = ConnParam(info[0], data);
  CM_CALL(rdma_connect, res->id, &param);
  return info.Env().Undefined();
}

Napi::Value CmId::Accept(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  std::vector<uint8_t> data;
  rdma_conn_param param = ConnParam(info[0], data);
  CM_CALL(rdma_accept, res->id, &param);
  return info.Env().Undefined();
}

Napi::Value CmId::Reject(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  std::vector<uint8_t> data = PrivateData(info[0]);
  if (data.size() > 255) throw Napi::RangeError::New(info.Env(), "privateData is longer than 255 bytes");
  CM_CALL(rdma_reject, res->id, data.empty() ? nullptr : data.data(), static_cast<uint8_t>(data.size()));
  return info.Env().Undefined();
}

Napi::Value CmId::Disconnect(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  CM_CALL(rdma_disconnect, res->id);
  return info.Env().Undefined();
}

Napi::Value CmId::DeviceName(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  if (!res->id->verbs) return info.Env().Null();
  return Napi::String::New(info.Env(), ibv_get_device_name(res->id->verbs->device));
}

Napi::Value CmId::LocalAddress(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  return AddressRecord(info.Env(), rdma_get_local_addr(res->id), rdma_get_src_port(res->id));
}

Napi::Value CmId::RemoteAddress(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CmId>(info.This(), "CmId");
  return AddressRecord(info.Env(), rdma_get_peer_addr(res->id), rdma_get_dst_port(res->id));
}

// Idempotent. The id is destroyed now, or when its queue pair is closed.
Napi::Value CmId::Close(const Napi::CallbackInfo& info) {
  if (res_) {
    res_->wrapper = nullptr;
    res_->channel->IdClosed();
    res_.reset();
    Unref();
  }
  return info.Env().Undefined();
}

}  // namespace spliced
