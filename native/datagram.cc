#include "datagram.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"

namespace flightrec {

void send_datagram(const std::string& path, const void* data, size_t len) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) fail("socket path too long", ENAMETOOLONG);
  memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket failed", errno);
  ssize_t n = sendto(fd, data, len, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (n < 0) fail("sending to " + path + " failed", err);
}

}  // namespace flightrec
