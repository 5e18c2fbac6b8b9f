#!/usr/bin/env python3
"""A pod's link made of two TAP devices joined by this process, which delays the frames the pod sends.

The lab uses it where the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM unset): it behaves as
`tc qdisc add dev eth0 root netem delay D` inside the pod would, delaying the pod's egress by D ms
(constant, order kept), and passes the other direction straight through.

  delay-link.py --node-ns NS --pod-ns NS --host-if vethXXXX --pod-if eth0 [--delay-ms 100] [--ready FILE]

SIGUSR1 switches the delay on (to --delay-ms), SIGUSR2 off. The TAP devices exist while this process
runs: killing it removes the pod's link.
"""
import argparse
import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL("libc.so.6", use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-ns", required=True)
    ap.add_argument("--pod-ns", required=True)
    ap.add_argument("--host-if", required=True)
    ap.add_argument("--pod-if", default="eth0")
    ap.add_argument("--delay-ms", type=float, default=100.0)
    ap.add_argument("--on", action="store_true", help="start with the delay on")
    ap.add_argument("--ready", help="file written once both devices exist")
    a = ap.parse_args()

    setns(f"/var/run/netns/{a.node_ns}")
    host = open_tap(a.host_if)
    setns(f"/var/run/netns/{a.pod_ns}")
    pod = open_tap(a.pod_if)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write(f"{os.getpid()}\n")

    state = {"delay": a.delay_ms / 1000.0 if a.on else 0.0, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: state.__setitem__("delay", a.delay_ms / 1000.0))
    signal.signal(signal.SIGUSR2, lambda *_: state.__setitem__("delay", 0.0))
    signal.signal(signal.SIGTERM, lambda *_: state.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: state.__setitem__("stop", True))

    queue = collections.deque()  # (due, frame) from the pod towards the node, in order
    poller = select.poll()
    poller.register(host, select.POLLIN)
    poller.register(pod, select.POLLIN)
    while not state["stop"]:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, frame = queue.popleft()
            try:
                os.write(host, frame)
            except OSError:
                pass  # the node side is down or full: the frame is lost, as on a real link
        timeout = None if not queue else max(0, int((queue[0][0] - now) * 1000) + 1)
        try:
            events = poller.poll(timeout if timeout is not None else 200)
        except InterruptedError:
            continue
        for fd, _ in events:
            while True:
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                if fd == pod:
                    d = state["delay"]
                    if d > 0 or queue:
                        queue.append((time.monotonic() + d, frame))
                    else:
                        try:
                            os.write(host, frame)
                        except OSError:
                            pass
                else:
                    try:
                        os.write(pod, frame)
                    except OSError:
                        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
