// The user.* extended attributes of an open file, which the server keeps SMB extended attributes
// in (as Samba does): list them with their values, set or remove one (see xattr.cc).
#pragma once
#include <napi.h>

namespace spliced {

Napi::Value ListUserXattrs(const Napi::CallbackInfo& info);
Napi::Value SetUserXattr(const Napi::CallbackInfo& info);

}  // namespace spliced
