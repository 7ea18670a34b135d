#include "completion-queue.h"
#include <arpa/inet.h>
#include <cerrno>

namespace spliced {
namespace {

Napi::Object CompletionRecord(Napi::Env env, const ibv_wc& wc) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("wrId", Napi::Number::New(env, static_cast<double>(wc.wr_id)));
  o.Set("status", Napi::Number::New(env, wc.status));
  o.Set("opcode", Napi::Number::New(env, wc.opcode));
  o.Set("byteLen", Napi::Number::New(env, wc.byte_len));
  o.Set("qpNum", Napi::Number::New(env, wc.qp_num));
  o.Set("wcFlags", Napi::Number::New(env, wc.wc_flags));
  o.Set("vendorErr", Napi::Number::New(env, wc.vendor_err));
  if (wc.wc_flags & IBV_WC_WITH_IMM) o.Set("immData", Napi::Number::New(env, ntohl(wc.imm_data)));
  if (wc.wc_flags & IBV_WC_WITH_INV) o.Set("invalidatedRkey", Napi::Number::New(env, wc.invalidated_rkey));
  return o;
}

}  // namespace

ChannelRes::~ChannelRes() {
  poller.reset();  // stop watching before the fd closes
  if (channel) ibv_destroy_comp_channel(channel);
}

void ChannelRes::OnReadable() {
  // JS may close the channel and its CQs from a callback: stay alive until the loop ends.
  std::shared_ptr<ChannelRes> keep = shared_from_this();
  for (;;) {
    ibv_cq* cq = nullptr;
    void* cqContext = nullptr;
    if (ibv_get_cq_event(channel, &cq, &cqContext)) return;  // EAGAIN: drained
    // An event implies the CQ is alive (destroying a CQ discards its queued events), and
    // the reference keeps it alive while JS runs, even if JS closes it meanwhile.
    std::shared_ptr<CqRes> res = static_cast<CqRes*>(cqContext)->shared_from_this();
    res->OnEvent();
  }
}

CqRes::~CqRes() {
  if (cq) {
    if (unacked) ibv_ack_cq_events(cq, unacked);
    ibv_destroy_cq(cq);
  }
  if (asyncContext) napi_async_destroy(env, asyncContext);
}

void CqRes::OnEvent() {
  if (++unacked >= kAckBatch) {
    ibv_ack_cq_events(cq, unacked);
    unacked = 0;
  }
  ibv_req_notify_cq(cq, 0);
  Napi::Env jsEnv(env);
  Napi::HandleScope scope(jsEnv);
  try {
    Napi::Array records = Poll(jsEnv, 0);
    if (records.Length() > 0) InvokeFromLoop(jsEnv, asyncContext, onCompletions, {records});
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

Napi::Array CqRes::Poll(Napi::Env jsEnv, uint32_t max) {
  Napi::Array records = Napi::Array::New(jsEnv);
  uint32_t count = 0;
  ibv_wc wcs[32];
  while (max == 0 || count < max) {
    int want = max == 0 ? 32 : static_cast<int>(std::min<uint32_t>(32, max - count));
    int n = ibv_poll_cq(cq, want, wcs);
    if (n < 0) throw VerbsError(jsEnv, "ibv_poll_cq", -n);
    for (int i = 0; i < n; i++) records.Set(count++, CompletionRecord(jsEnv, wcs[i]));
    if (n < want) break;
  }
  return records;
}

void CompletionChannel::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "CompletionChannel", {
      InstanceMethod<&CompletionChannel::Close>("close"),
  });
  Data(env).completionChannel = Napi::Persistent(ctor);
  exports.Set("CompletionChannel", ctor);
}

// new CompletionChannel(context)
CompletionChannel::CompletionChannel(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CompletionChannel>(info) {
  Napi::Env env = info.Env();
  auto res = std::make_shared<ChannelRes>(ResourceOf<Context>(info[0], "Context"));
  res->channel = ibv_create_comp_channel(res->context->context);
  if (!res->channel) throw VerbsError(env, "ibv_create_comp_channel", errno);
  if (int err = MakeNonBlocking(res->channel->fd)) throw VerbsError(env, "fcntl", err);
  ChannelRes* raw = res.get();
  res->poller = std::make_unique<FdPoller>(env, res->channel->fd, [raw] { raw->OnReadable(); });
  res->poller->SetKeepsLoopAlive(false);  // connections (CM ids) keep the process alive
  res_ = std::move(res);
}

Napi::Value CompletionChannel::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

void CompletionQueue::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "CompletionQueue", {
      InstanceAccessor<&CompletionQueue::Cqe>("cqe"),
      InstanceMethod<&CompletionQueue::Poll>("poll"),
      InstanceMethod<&CompletionQueue::RequestNotify>("requestNotify"),
      InstanceMethod<&CompletionQueue::Close>("close"),
  });
  Data(env).completionQueue = Napi::Persistent(ctor);
  exports.Set("CompletionQueue", ctor);
}

// new CompletionQueue(context, cqe, channel | null, onCompletions?(records))
// With a channel the CQ is armed at once and every wake-up delivers the drained records.
CompletionQueue::CompletionQueue(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CompletionQueue>(info) {
  Napi::Env env = info.Env();
  auto& context = ResourceOf<Context>(info[0], "Context");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "cqe must be a number");
  int cqe = info[1].As<Napi::Number>().Int32Value();
  std::shared_ptr<ChannelRes> channel;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    channel = ResourceOf<CompletionChannel>(info[2], "CompletionChannel");
    if (channel->context != context) throw Napi::Error::New(env, "channel belongs to another context");
  }
  if (channel && !info[3].IsFunction()) throw Napi::TypeError::New(env, "onCompletions must be a function");
  auto res = std::make_shared<CqRes>(context, channel);
  res->env = env;
  res->cq = ibv_create_cq(context->context, cqe, res.get(), channel ? channel->channel : nullptr, 0);
  if (!res->cq) throw VerbsError(env, "ibv_create_cq", errno);
  if (channel) {
    res->onCompletions = Napi::Persistent(info[3].As<Napi::Function>());
    napi_value name = Napi::String::New(env, "spliced:completions");
    napi_async_init(env, nullptr, name, &res->asyncContext);
    if (int err = ibv_req_notify_cq(res->cq, 0)) throw VerbsError(env, "ibv_req_notify_cq", err);
  }
  res_ = std::move(res);
}

Napi::Value CompletionQueue::Cqe(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ResourceOf<CompletionQueue>(info.This(), "CompletionQueue")->cq->cqe);
}

// poll(max = 0): up to max records (0: all that are ready) without waiting.
Napi::Value CompletionQueue::Poll(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CompletionQueue>(info.This(), "CompletionQueue");
  uint32_t max = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
  return res->Poll(info.Env(), max);
}

Napi::Value CompletionQueue::RequestNotify(const Napi::CallbackInfo& info) {
  auto& res = ResourceOf<CompletionQueue>(info.This(), "CompletionQueue");
  int solicitedOnly = info[0].ToBoolean().Value() ? 1 : 0;
  if (int err = ibv_req_notify_cq(res->cq, solicitedOnly)) throw VerbsError(info.Env(), "ibv_req_notify_cq", err);
  return info.Env().Undefined();
}

// Stops callbacks at once; the CQ itself goes when no queue pair uses it any more.
Napi::Value CompletionQueue::Close(const Napi::CallbackInfo& info) {
  if (res_) res_->onCompletions.Reset();
  res_.reset();
  return info.Env().Undefined();
}

}  // namespace spliced
