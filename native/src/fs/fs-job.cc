#include "fs-job.h"
#include "../errno-error.h"
#include <utility>

namespace spliced {
namespace {

class FsJob : public Napi::AsyncWorker {
 public:
  FsJob(Napi::Env env, const char* call, std::function<int(const char*&)> run, std::function<Napi::Value(Napi::Env)> result)
      : Napi::AsyncWorker(env, call), deferred_(env), call_(call), run_(std::move(run)), result_(std::move(result)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { err_ = run_(call_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) deferred_.Reject(ErrnoError(env, call_, err_).Value());
    else deferred_.Resolve(result_(env));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  const char* call_;
  std::function<int(const char*&)> run_;
  std::function<Napi::Value(Napi::Env)> result_;
  int err_ = 0;
};

}  // namespace

Napi::Value QueueFsJob(Napi::Env env, const char* call, std::function<int(const char*& call)> run,
                       std::function<Napi::Value(Napi::Env)> result) {
  auto* job = new FsJob(env, call, std::move(run), std::move(result));
  Napi::Promise promise = job->Promise();
  job->Queue();
  return promise;
}

}  // namespace spliced
