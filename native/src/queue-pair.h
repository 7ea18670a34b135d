// RC queue pair created through rdma_cm on a CM id, with postSend/postRecv. It holds its
// CM id, protection domain and CQs, so none of them is destroyed before it.
#pragma once
#include "cm-id.h"
#include "completion-queue.h"
#include "memory-region.h"
#include <vector>

namespace spliced {

struct QpRes {
  std::shared_ptr<CmIdRes> id;
  std::shared_ptr<PdRes> pd;
  std::shared_ptr<CqRes> sendCq, recvCq;
  ibv_qp* qp = nullptr;
  QpRes(std::shared_ptr<CmIdRes> i, std::shared_ptr<PdRes> p, std::shared_ptr<CqRes> s, std::shared_ptr<CqRes> r)
      : id(std::move(i)), pd(std::move(p)), sendCq(std::move(s)), recvCq(std::move(r)) {}
  ~QpRes() { if (qp) rdma_destroy_qp(id->id); }
  QpRes(const QpRes&) = delete;
  QpRes& operator=(const QpRes&) = delete;
};

class QueuePair : public Napi::ObjectWrap<QueuePair> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Function Constructor(Napi::Env env) { return Data(env).queuePair.Value(); }
  explicit QueuePair(const Napi::CallbackInfo& info);
  std::shared_ptr<QpRes>& Resource() { return res_; }

 private:
  Napi::Value QpNum(const Napi::CallbackInfo& info);
  Napi::Value Caps(const Napi::CallbackInfo& info);
  Napi::Value PostSend(const Napi::CallbackInfo& info);
  Napi::Value PostSendAsync(const Napi::CallbackInfo& info);
  Napi::Value PostRecv(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<QpRes> res_;
  ibv_qp_cap caps_{};
};

// ibv_post_send of the chain; memory windows bound by it show their new rkey. Returns the
// error (0 when all went through) and sets `posted` to the requests that went through.
int PostWithBoundKeys(ibv_qp* qp, std::vector<ibv_send_wr>& wrs, uint32_t& posted);

}  // namespace spliced
