{
  "targets": [
    {
      "target_name": "rewind_ebpf",
      "sources": ["loader/loader.c"],
      "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
