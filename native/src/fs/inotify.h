// The Inotify class of spliced_fs (inotify.cc): inotify(7) events as plain records.
#pragma once
#include <napi.h>

namespace spliced {

// Adds the Inotify class and the inotifyConstants table to the addon's exports.
void InitInotify(Napi::Env env, Napi::Object exports);

}  // namespace spliced
