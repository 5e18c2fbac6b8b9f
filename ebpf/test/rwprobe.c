/* Test workload for the tracer's filters and event kinds (built by ebpf/src/tracer-events.test.ts with cc):
 * waits for a line on stdin, then sends three UDP datagrams with one sendmmsg() and takes them with one
 * recvmmsg(), then makes one TCP connection to itself (connect, accept, write, read, close), prints the ports. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bound(int type, struct sockaddr_in *a)
{
	int s = socket(AF_INET, type, 0);
	socklen_t len = sizeof(*a);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) || getsockname(s, (struct sockaddr *)a, &len)) return -1;
	return s;
}

int main(void)
{
	char line[16];
	if (!fgets(line, sizeof(line), stdin)) return 1;
	struct sockaddr_in ua, ta;
	int rx = bound(SOCK_DGRAM, &ua);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 || connect(tx, (struct sockaddr *)&ua, sizeof(ua))) return 2;
	char *msgs[3] = { "mmsg-one", "mmsg-two", "mmsg-three" };
	struct iovec iov[3];
	struct mmsghdr mh[3];
	memset(mh, 0, sizeof(mh));
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = msgs[i];
		iov[i].iov_len = strlen(msgs[i]);
		mh[i].msg_hdr.msg_iov = &iov[i];
		mh[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(tx, mh, 3, 0) != 3) return 3;
	char bufs[3][64];
	struct iovec riov[3];
	struct mmsghdr rh[3];
	memset(rh, 0, sizeof(rh));
	for (int i = 0; i < 3; i++) {
		riov[i].iov_base = bufs[i];
		riov[i].iov_len = sizeof(bufs[i]);
		rh[i].msg_hdr.msg_iov = &riov[i];
		rh[i].msg_hdr.msg_iovlen = 1;
	}
	int got = 0;
	while (got < 3) {
		int n = recvmmsg(rx, rh + got, 3 - got, 0, NULL);
		if (n <= 0) return 4;
		got += n;
	}
	int ls = bound(SOCK_STREAM, &ta);
	if (ls < 0 || listen(ls, 1)) return 5;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&ta, sizeof(ta))) return 6;
	int a = accept(ls, NULL, NULL);
	char b[8];
	if (write(c, "ping", 4) != 4 || read(a, b, sizeof(b)) != 4) return 7;
	close(c);
	close(a);
	close(ls);
	printf("%d %d\n", ntohs(ua.sin_port), ntohs(ta.sin_port));
	return 0;
}
