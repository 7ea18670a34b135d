// listUserXattrs(fd, maxBytes) and setUserXattr(fd, name, value | null): the user.* extended
// attributes of the file a descriptor refers to, each call one thread-pool job. The descriptor may
// be O_PATH, which the f*xattr calls refuse, so they go through its /proc/self/fd link (the file
// itself, not a name). Names travel without the "user." prefix. No policy here.
#include "xattr.h"
#include "fs-job.h"
#include <sys/xattr.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spliced {
namespace {

const char kPrefix[] = "user.";
const size_t kPrefixLength = sizeof kPrefix - 1;

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int FdArg(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  return info[0].As<Napi::Number>().Int32Value();
}

using Attributes = std::vector<std::pair<std::string, std::vector<char>>>;

// Every user.* attribute with its value, refusing (E2BIG) to hold more than maxBytes of names
// and values together.
int ListAll(const std::string& path, size_t maxBytes, Attributes& out) {
  ssize_t size = listxattr(path.c_str(), nullptr, 0);
  if (size < 0) return errno;
  std::vector<char> names(static_cast<size_t>(size) + 1);
  size = listxattr(path.c_str(), names.data(), names.size() - 1);
  if (size < 0) return errno;
  size_t held = 0;
  for (ssize_t at = 0; at < size; at += std::strlen(names.data() + at) + 1) {
    const char* name = names.data() + at;
    if (std::strncmp(name, kPrefix, kPrefixLength) != 0) continue;
    ssize_t length = getxattr(path.c_str(), name, nullptr, 0);
    if (length < 0) {
      if (errno == ENODATA) continue;  // removed since it was listed
      return errno;
    }
    held += std::strlen(name) + static_cast<size_t>(length);
    if (held > maxBytes) return E2BIG;
    std::vector<char> value(static_cast<size_t>(length));
    length = getxattr(path.c_str(), name, value.data(), value.size());
    if (length < 0) return errno;
    value.resize(static_cast<size_t>(length));
    out.emplace_back(name + kPrefixLength, std::move(value));
  }
  return 0;
}

}  // namespace

// listUserXattrs(fd, maxBytes) -> [{ name, value: Buffer }]
Napi::Value ListUserXattrs(const Napi::CallbackInfo& info) {
  int fd = FdArg(info);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "maxBytes must be a number");
  size_t maxBytes = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  auto attrs = std::make_shared<Attributes>();
  return QueueFsJob(
      info.Env(), "listxattr", [=](const char*&) { return ListAll(FdPath(fd), maxBytes, *attrs); },
      [attrs](Napi::Env env) {
        Napi::Array arr = Napi::Array::New(env, attrs->size());
        for (size_t i = 0; i < attrs->size(); i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", Napi::String::New(env, (*attrs)[i].first));
          o.Set("value", Napi::Buffer<char>::Copy(env, (*attrs)[i].second.data(), (*attrs)[i].second.size()));
          arr.Set(static_cast<uint32_t>(i), o);
        }
        return arr;
      });
}

// setUserXattr(fd, name, value | null): null removes the attribute (a missing one is no error).
Napi::Value SetUserXattr(const Napi::CallbackInfo& info) {
  int fd = FdArg(info);
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "name must be a string");
  std::string name = kPrefix + info[1].As<Napi::String>().Utf8Value();
  if (name.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), "name contains NUL");
  bool remove = info[2].IsNull();
  if (!remove && !info[2].IsBuffer()) throw Napi::TypeError::New(info.Env(), "value must be a Buffer or null");
  std::vector<char> value;
  if (!remove) {
    auto buf = info[2].As<Napi::Buffer<char>>();
    value.assign(buf.Data(), buf.Data() + buf.Length());
  }
  return QueueFsJob(
      info.Env(), remove ? "removexattr" : "setxattr",
      [=](const char*&) {
        std::string path = FdPath(fd);
        if (remove) return removexattr(path.c_str(), name.c_str()) == 0 || errno == ENODATA ? 0 : errno;
        return setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) == 0 ? 0 : errno;
      },
      [](Napi::Env env) { return env.Undefined(); });
}

}  // namespace spliced
