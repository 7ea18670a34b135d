#include "send-poster.h"

namespace spliced {

SendPoster::SendPoster(Napi::Env env) : env_(env), context_(env, "spliced:postSend"), wake_(new uv_async_t) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  if (int err = uv_async_init(loop, wake_, [](uv_async_t* h) { static_cast<SendPoster*>(h->data)->SettleDone(); })) {
    delete wake_;
    throw VerbsError(env, "uv_async_init", -err);
  }
  wake_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(wake_));  // pending posts do not keep the process alive; their QPs do
  thread_ = std::thread([this] { Run(); });
}

SendPoster::~SendPoster() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
  wake_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(wake_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void SendPoster::Submit(std::unique_ptr<PostJob> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    todo_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void SendPoster::Run() {
  for (;;) {
    std::unique_ptr<PostJob> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
      if (stopping_) return;
      job = std::move(todo_.front());
      todo_.pop_front();
    }
    job->err = PostWithBoundKeys(job->qp->qp, job->wrs, job->posted);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(job));
    }
    uv_async_send(wake_);
  }
}

// On the JS thread: settles the promises of every post that returned, in order.
void SendPoster::SettleDone() {
  std::deque<std::unique_ptr<PostJob>> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done.swap(done_);
  }
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  Napi::CallbackScope callbackScope(env, context_);
  for (auto& job : done) {
    if (job->err == 0) {
      napi_resolve_deferred(env_, job->deferred, env.Undefined());
      continue;
    }
    Napi::Error error = VerbsError(env, "ibv_post_send", job->err);
    error.Set("badWrIndex", Napi::Number::New(env, job->posted));
    napi_reject_deferred(env_, job->deferred, error.Value());
  }
}

SendPoster& PosterOf(Napi::Env env) {
  AddonData& data = Data(env);
  if (!data.poster) data.poster = std::make_shared<SendPoster>(env);
  return *data.poster;
}

}  // namespace spliced
