{
  "variables": { "asan%": 0, "rdma%": 1 },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
    "conditions": [
      ["asan==1", {
        "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1"],
        "ldflags": ["-fsanitize=address"]
      }]
    ]
  },
  "targets": [{
    "target_name": "spliced_fs",
    "sources": ["src/fs/fs-at.cc", "src/fs/dir-read.cc", "src/fs/fd-write.cc", "src/fs/fs-job.cc", "src/fs/inotify.cc", "src/fs/xattr.cc"]
  }],
  "conditions": [
    ["rdma==1", {
      "targets": [{
        "target_name": "spliced_rdma",
        "sources": [
          "src/addon.cc", "src/common.cc", "src/slab.cc", "src/context.cc", "src/protection-domain.cc",
          "src/memory-region.cc", "src/fd-poller.cc", "src/completion-queue.cc", "src/cm-id.cc",
          "src/queue-pair.cc", "src/send-poster.cc"
        ],
        "libraries": ["-libverbs", "-lrdmacm"]
      }]
    }]
  ]
}
