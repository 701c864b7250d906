// Sending one datagram to a unix datagram socket: syslog's /dev/log, which node's dgram
// cannot reach.
#pragma once

#include <cstddef>
#include <string>

namespace flightrec {

void send_datagram(const std::string& path, const void* data, size_t len);

}  // namespace flightrec
