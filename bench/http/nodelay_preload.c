/* Diagnostic, not part of `make bench`: turns TCP_NODELAY on for every socket
 * a process accepts, to measure what boxoffice-http would gain from
 * server_->set_tcp_nodelay(true) without rebuilding it (see README.md):
 *   cc -shared -fPIC -O2 -o /tmp/nodelay_preload.so bench/http/nodelay_preload.c -ldl
 *   BENCH_HTTP_SHIM_PRELOAD=/tmp/nodelay_preload.so bash bench/http/run.sh
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int nodelay(int fd) {
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on non-TCP sockets */
  }
  return fd;
}

int accept(int s, struct sockaddr *a, socklen_t *l) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  return nodelay(real(s, a, l));
}

int accept4(int s, struct sockaddr *a, socklen_t *l, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  return nodelay(real(s, a, l, flags));
}
