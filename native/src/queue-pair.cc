#include "queue-pair.h"
#include "send-poster.h"
#include <arpa/inet.h>
#include <cerrno>
#include <vector>

namespace spliced {
namespace {

constexpr uint32_t kMaxChain = 1024;

Napi::Array RequireArray(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array");
  return value.As<Napi::Array>();
}

// Appends the { addr, length, lkey } entries of wr.sgList to sges; returns how many.
int ParseSgList(const Napi::Object& wr, std::vector<ibv_sge>& sges) {
  Napi::Value list = wr.Get("sgList");
  if (list.IsUndefined()) return 0;
  Napi::Array array = RequireArray(list, "sgList");
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsObject()) throw Napi::TypeError::New(wr.Env(), "sgList entries must be objects");
    Napi::Object sge = item.As<Napi::Object>();
    sges.push_back(ibv_sge{RequireUint64(sge, "addr"), RequireUint32(sge, "length"), RequireUint32(sge, "lkey")});
  }
  return static_cast<int>(array.Length());
}

uint32_t CountSges(const Napi::Array& wrs) {
  uint32_t total = 0;
  for (uint32_t i = 0; i < wrs.Length(); i++) {
    Napi::Value wr = wrs.Get(i);
    if (!wr.IsObject()) throw Napi::TypeError::New(wrs.Env(), "work requests must be objects");
    Napi::Value list = wr.As<Napi::Object>().Get("sgList");
    if (list.IsArray()) total += list.As<Napi::Array>().Length();
  }
  return total;
}

// The JS list of work requests for one post: an array of at most kMaxChain entries.
Napi::Array RequireChain(const Napi::Value& value) {
  Napi::Array list = RequireArray(value, "work requests");
  if (list.Length() > kMaxChain) throw Napi::RangeError::New(value.Env(), "too many work requests in one post");
  return list;
}

// Fills what send and receive work requests share: wr_id, the SGE list and the chain links.
// sges is reserved up front so the sg_list pointers into it never move.
template <typename Wr>
void ChainWorkRequests(const Napi::Array& list, std::vector<Wr>& wrs, std::vector<ibv_sge>& sges) {
  sges.reserve(CountSges(list));
  for (size_t i = 0; i < wrs.size(); i++) {
    Napi::Object o = list.Get(static_cast<uint32_t>(i)).As<Napi::Object>();
    Wr& wr = wrs[i];
    wr.wr_id = ToUint64(o.Get("wrId"), "wrId");
    size_t first = sges.size();
    wr.num_sge = ParseSgList(o, sges);
    wr.sg_list = wr.num_sge ? &sges[first] : nullptr;
    wr.next = i + 1 < wrs.size() ? &wrs[i + 1] : nullptr;
  }
}

// Fills the opcode-specific part of a send work request.
// A bind keeps its window and region alive (in `keep`) until the post has been made.
void ParseSendOpcode(const Napi::Object& o, ibv_send_wr& wr, std::vector<std::shared_ptr<void>>& keep) {
  Napi::Env env = o.Env();
  switch (wr.opcode) {
    case IBV_WR_SEND:
      break;
    case IBV_WR_SEND_WITH_IMM:
      wr.imm_data = htonl(RequireUint32(o, "immData"));
      break;
    case IBV_WR_SEND_WITH_INV:
    case IBV_WR_LOCAL_INV:
      wr.invalidate_rkey = RequireUint32(o, "invalidateRkey");
      break;
    case IBV_WR_RDMA_WRITE_WITH_IMM:
      wr.imm_data = htonl(RequireUint32(o, "immData"));
      [[fallthrough]];
    case IBV_WR_RDMA_WRITE:
    case IBV_WR_RDMA_READ:
      wr.wr.rdma.remote_addr = RequireUint64(o, "remoteAddr");
      wr.wr.rdma.rkey = RequireUint32(o, "rkey");
      break;
    case IBV_WR_BIND_MW: {
      if (!o.Get("bind").IsObject()) throw Napi::TypeError::New(env, "BIND_MW needs bind: { mw, mr, rkey, addr, length, access }");
      Napi::Object bind = o.Get("bind").As<Napi::Object>();
      auto& mw = ResourceOf<MemoryWindow>(bind.Get("mw"), "MemoryWindow");
      auto& mr = ResourceOf<MemoryRegion>(bind.Get("mr"), "MemoryRegion");
      keep.push_back(mw);
      keep.push_back(mr);
      wr.bind_mw.mw = mw->mw;
      wr.bind_mw.rkey = RequireUint32(bind, "rkey");
      wr.bind_mw.bind_info.mr = mr->mr;
      wr.bind_mw.bind_info.addr = RequireUint64(bind, "addr");
      wr.bind_mw.bind_info.length = RequireUint64(bind, "length");
      wr.bind_mw.bind_info.mw_access_flags = GetUint32(bind, "access", 0);
      break;
    }
    default:
      throw Napi::RangeError::New(env, "unsupported send opcode " + std::to_string(wr.opcode));
  }
}

// Parses a JS chain of send work requests into job.wrs/job.sges; false when it is empty.
bool ParseSendChain(const Napi::Value& value, PostJob& job) {
  Napi::Array list = RequireChain(value);
  uint32_t count = list.Length();
  if (count == 0) return false;
  job.wrs.resize(count);
  ChainWorkRequests(list, job.wrs, job.sges);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Object o = list.Get(i).As<Napi::Object>();
    job.wrs[i].opcode = static_cast<ibv_wr_opcode>(RequireUint32(o, "opcode"));
    job.wrs[i].send_flags = GetUint32(o, "flags", 0);
    ParseSendOpcode(o, job.wrs[i], job.keep);
  }
  return true;
}

}  // namespace

// A type 2 window takes its new key when the bind is posted; JS reads it from mw.rkey. The
// provider names the window by its current key in the post (rxe), so the key changes after it.
int PostWithBoundKeys(ibv_qp* qp, std::vector<ibv_send_wr>& wrs, uint32_t& posted) {
  ibv_send_wr* bad = nullptr;
  int err = ibv_post_send(qp, wrs.data(), &bad);
  posted = err ? static_cast<uint32_t>(bad - wrs.data()) : static_cast<uint32_t>(wrs.size());
  for (uint32_t i = 0; i < posted; i++) {
    if (wrs[i].opcode == IBV_WR_BIND_MW) wrs[i].bind_mw.mw->rkey = wrs[i].bind_mw.rkey;
  }
  return err;
}

void QueuePair::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "QueuePair", {
      InstanceAccessor<&QueuePair::QpNum>("qpNum"),
      InstanceAccessor<&QueuePair::Caps>("caps"),
      InstanceMethod<&QueuePair::PostSend>("postSend"),
      InstanceMethod<&QueuePair::PostSendAsync>("postSendAsync"),
      InstanceMethod<&QueuePair::PostRecv>("postRecv"),
      InstanceMethod<&QueuePair::Close>("close"),
  });
  Data(env).queuePair = Napi::Persistent(ctor);
  exports.Set("QueuePair", ctor);
}

// new QueuePair(cmId, pd, sendCq, recvCq, { maxSendWr, maxRecvWr, maxSendSge, maxRecvSge,
// maxInlineData }): rdma_create_qp of an RC QP. The PD must be on the id's device.
QueuePair::QueuePair(const Napi::CallbackInfo& info) : Napi::ObjectWrap<QueuePair>(info) {
  Napi::Env env = info.Env();
  auto res = std::make_shared<QpRes>(ResourceOf<CmId>(info[0], "CmId"), ResourceOf<ProtectionDomain>(info[1], "ProtectionDomain"),
                                     ResourceOf<CompletionQueue>(info[2], "CompletionQueue"),
                                     ResourceOf<CompletionQueue>(info[3], "CompletionQueue"));
  if (res->id->id->qp) throw VerbsError(env, "rdma_create_qp", EBUSY);
  if (res->pd->context->context != res->id->id->verbs) {
    throw Napi::Error::New(env, "the protection domain is not on the CM id's device (resolve the address first)");
  }
  Napi::Object caps = info[4].IsObject() ? info[4].As<Napi::Object>() : Napi::Object::New(env);
  ibv_qp_init_attr attr{};
  attr.qp_type = IBV_QPT_RC;
  attr.send_cq = res->sendCq->cq;
  attr.recv_cq = res->recvCq->cq;
  attr.cap.max_send_wr = GetUint32(caps, "maxSendWr", 64);
  attr.cap.max_recv_wr = GetUint32(caps, "maxRecvWr", 64);
  attr.cap.max_send_sge = GetUint32(caps, "maxSendSge", 4);
  attr.cap.max_recv_sge = GetUint32(caps, "maxRecvSge", 1);
  attr.cap.max_inline_data = GetUint32(caps, "maxInlineData", 0);
  if (rdma_create_qp(res->id->id, res->pd->pd, &attr)) throw VerbsError(env, "rdma_create_qp", errno);
  res->qp = res->id->id->qp;
  caps_ = attr.cap;
  res_ = std::move(res);
}

Napi::Value QueuePair::QpNum(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ResourceOf<QueuePair>(info.This(), "QueuePair")->qp->qp_num);
}

Napi::Value QueuePair::Caps(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("maxSendWr", caps_.max_send_wr);
  o.Set("maxRecvWr", caps_.max_recv_wr);
  o.Set("maxSendSge", caps_.max_send_sge);
  o.Set("maxRecvSge", caps_.max_recv_sge);
  o.Set("maxInlineData", caps_.max_inline_data);
  return o;
}

// postSend([{ wrId, opcode, sgList, flags, remoteAddr, rkey, immData, invalidateRkey, bind }])
// Posts the list as one chain. On failure the error has badWrIndex: requests before it
// were posted.
Napi::Value QueuePair::PostSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& res = ResourceOf<QueuePair>(info.This(), "QueuePair");
  PostJob job;
  if (!ParseSendChain(info[0], job)) return env.Undefined();
  uint32_t posted = 0;
  if (int err = PostWithBoundKeys(res->qp, job.wrs, posted)) {
    Napi::Error error = VerbsError(env, "ibv_post_send", err);
    error.Set("badWrIndex", Napi::Number::New(env, posted));
    throw error;
  }
  return env.Undefined();
}

// postSendAsync(wrs): Promise<void>. The same chain, posted by the poster thread (see
// send-poster.h); posts keep their order. The promise rejects like postSend throws.
Napi::Value QueuePair::PostSendAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<PostJob>();
  job->qp = ResourceOf<QueuePair>(info.This(), "QueuePair");
  if (!ParseSendChain(info[0], *job)) {
    Napi::Promise::Deferred nothing = Napi::Promise::Deferred::New(env);
    nothing.Resolve(env.Undefined());
    return nothing.Promise();
  }
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  PosterOf(env).Submit(std::move(job));
  return Napi::Value(env, promise);
}

// postRecv([{ wrId, sgList }])
Napi::Value QueuePair::PostRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& res = ResourceOf<QueuePair>(info.This(), "QueuePair");
  Napi::Array list = RequireChain(info[0]);
  uint32_t count = list.Length();
  if (count == 0) return env.Undefined();
  std::vector<ibv_sge> sges;
  std::vector<ibv_recv_wr> wrs(count);
  ChainWorkRequests(list, wrs, sges);
  ibv_recv_wr* bad = nullptr;
  if (int err = ibv_post_recv(res->qp, wrs.data(), &bad)) {
    Napi::Error error = VerbsError(env, "ibv_post_recv", err);
    error.Set("badWrIndex", Napi::Number::New(env, static_cast<double>(bad - wrs.data())));
    throw error;
  }
  return env.Undefined();
}

// Idempotent; the QP is destroyed now and its CM id, PD and CQs are released.
Napi::Value QueuePair::Close(const Napi::CallbackInfo& info) {
  res_.reset();
  return info.Env().Undefined();
}

}  // namespace spliced
