// Inotify: one inotify(7) instance whose events reach JS as arrays of plain records
// { wd, mask, cookie, name } (name: the raw bytes, empty for an event on the watched directory
// itself). Watches are added beneath a directory descriptor, never by a path the caller trusts:
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) of the relative path ("" for the descriptor
// itself), then inotify_add_watch on that descriptor's /proc/self/fd magic link. No policy here:
// which directories to watch and what an event means is the caller's.
#include "inotify.h"
#include "../errno-error.h"
#include <linux/openat2.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>
#include <cerrno>
#include <climits>
#include <string>

namespace spliced {
namespace {

// Reads per readiness callback: the poll fires again while events remain, so a flood of
// events cannot hold the event loop for more than this many reads at a time.
constexpr int kReadsPerWakeup = 8;
constexpr size_t kReadBuffer = 64 * 1024;

class Inotify : public Napi::ObjectWrap<Inotify> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Inotify",
                       {InstanceMethod<&Inotify::AddWatch>("addWatch"),
                        InstanceMethod<&Inotify::RemoveWatch>("removeWatch"),
                        InstanceMethod<&Inotify::Close>("close")});
  }

  explicit Inotify(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Inotify>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "Inotify(onEvents): a function is required");
    onEvents_ = Napi::Persistent(info[0].As<Napi::Function>());
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw ErrnoError(env, "inotify_init1", errno);
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    int err = uv_poll_init(loop, poll_, fd_);
    if (err) {
      delete poll_;
      poll_ = nullptr;
      ::close(fd_);
      fd_ = -1;
      throw ErrnoError(env, "uv_poll_init", -err);
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* h, int status, int) {
      if (status < 0 || !h->data) return;
      static_cast<Inotify*>(h->data)->Drain();
    });
    // A watcher alone does not keep the process alive (the server's sockets do).
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }

  ~Inotify() override { Shutdown(); }

 private:
  // addWatch(dirfd, relativePath, mask) -> wd. Synchronous: one openat2 and one
  // inotify_add_watch, so a new subdirectory is watched before the next event is read.
  Napi::Value AddWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw ErrnoError(env, "inotify_add_watch", EBADF);
    int dirfd = info[0].As<Napi::Number>().Int32Value();
    std::string path = info[1].As<Napi::String>().Utf8Value();
    uint32_t mask = info[2].As<Napi::Number>().Uint32Value();
    int target = dirfd;
    if (!path.empty()) {
      struct open_how how = {};
      how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      long opened = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
      if (opened < 0) throw ErrnoError(env, "openat2", errno);
      target = static_cast<int>(opened);
    }
    std::string link = "/proc/self/fd/" + std::to_string(target);
    int wd = inotify_add_watch(fd_, link.c_str(), mask | IN_ONLYDIR);
    int err = errno;
    if (target != dirfd) ::close(target);
    if (wd < 0) throw ErrnoError(env, "inotify_add_watch", err);
    return Napi::Number::New(env, wd);
  }

  Napi::Value RemoveWatch(const Napi::CallbackInfo& info) {
    // EINVAL: the kernel already dropped it (its directory is gone); nothing to undo.
    if (fd_ >= 0) inotify_rm_watch(fd_, info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (poll_) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Array events = Napi::Array::New(env);
    uint32_t count = 0;
    alignas(struct inotify_event) char buf[kReadBuffer];
    for (int i = 0; i < kReadsPerWakeup && fd_ >= 0; i++) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        auto* e = reinterpret_cast<struct inotify_event*>(p);
        Napi::Object o = Napi::Object::New(env);
        o.Set("wd", Napi::Number::New(env, e->wd));
        o.Set("mask", Napi::Number::New(env, e->mask));
        o.Set("cookie", Napi::Number::New(env, e->cookie));
        size_t len = e->len ? strnlen(e->name, e->len) : 0;
        o.Set("name", Napi::Buffer<char>::Copy(env, e->name, len));
        events.Set(count++, o);
        p += sizeof(struct inotify_event) + e->len;
      }
    }
    if (count == 0) return;
    // Exceptions from the callback surface as the process's uncaught exception, as for any event.
    onEvents_.MakeCallback(Value(), {events});
  }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onEvents_;
};

}  // namespace

void InitInotify(Napi::Env env, Napi::Object exports) {
  exports.Set("Inotify", Inotify::Define(env));
  Napi::Object c = Napi::Object::New(env);
  c.Set("IN_MODIFY", static_cast<double>(IN_MODIFY));
  c.Set("IN_ATTRIB", static_cast<double>(IN_ATTRIB));
  c.Set("IN_MOVED_FROM", static_cast<double>(IN_MOVED_FROM));
  c.Set("IN_MOVED_TO", static_cast<double>(IN_MOVED_TO));
  c.Set("IN_CREATE", static_cast<double>(IN_CREATE));
  c.Set("IN_DELETE", static_cast<double>(IN_DELETE));
  c.Set("IN_DELETE_SELF", static_cast<double>(IN_DELETE_SELF));
  c.Set("IN_MOVE_SELF", static_cast<double>(IN_MOVE_SELF));
  c.Set("IN_Q_OVERFLOW", static_cast<double>(IN_Q_OVERFLOW));
  c.Set("IN_IGNORED", static_cast<double>(IN_IGNORED));
  c.Set("IN_ISDIR", static_cast<double>(IN_ISDIR));
  c.Set("IN_EXCL_UNLINK", static_cast<double>(IN_EXCL_UNLINK));
  c.Set("IN_MASK_ADD", static_cast<double>(IN_MASK_ADD));
  exports.Set("inotifyConstants", c);
}

}  // namespace spliced
