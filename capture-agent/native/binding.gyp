{
  "targets": [
    {
      "target_name": "rewind_pcap",
      "sources": ["pcap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpcap"]
    }
  ]
}
