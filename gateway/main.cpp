// boxoffice-fake-gateway: the fake Toss Payments gateway of fake_gateway.hpp
// as a server, for the shim and the scripts to pay against. See --help.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <httplib.h>

#include "fake_gateway.hpp"

namespace {

const char help[] =
    "usage: boxoffice-fake-gateway [flags]\n"
    "  --host HOST          address to listen on (127.0.0.1)\n"
    "  --port PORT          port to listen on, 0 for any free one (8090)\n"
    "  --secret-key KEY     the merchant's secret key for Basic auth (test_sk_boxoffice)\n"
    "  --delay-ms MS        how long a confirm of a behaviour \"slow\" payment takes (50)\n"
    "  --hang-ms MS         how long a \"timeout\" confirm or cancel hangs (15000)\n"
    "  --ready-ttl-ms MS    a READY payment not confirmed by then is EXPIRED (600000)\n"
    "  --threads N          worker threads (64)\n"
    "  --tls-cert FILE      serve HTTPS with this PEM certificate (and --tls-key); plain HTTP without\n"
    "  --tls-key FILE       the certificate's PEM private key\n"
    "Prints \"listening on HOST:PORT\" when ready; SIGTERM or SIGINT stops it.\n";

struct Flags {
  std::string host = "127.0.0.1";
  int port = 8090;
  bool help = false;
  std::string tls_cert, tls_key;  // both: serve HTTPS
  gateway::FakeGateway::Options gateway;
};

long long number(const std::string& flag, const std::string& text, long long least) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < least)
    throw std::invalid_argument(flag + " wants a whole number of at least " + std::to_string(least) + ", not '" +
                                text + "'");
  return value;
}

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      flags.help = true;
      continue;
    }
    std::string value;
    if (auto equals = flag.find('='); equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument(flag + " wants a value");
    }
    if (flag == "--host") flags.host = value;
    else if (flag == "--port") flags.port = int(number(flag, value, 0));
    else if (flag == "--secret-key") flags.gateway.secret_key = value;
    else if (flag == "--delay-ms") flags.gateway.slow_delay = std::chrono::milliseconds(number(flag, value, 0));
    else if (flag == "--hang-ms") flags.gateway.hang = std::chrono::milliseconds(number(flag, value, 0));
    else if (flag == "--ready-ttl-ms") flags.gateway.ready_ttl = std::chrono::milliseconds(number(flag, value, 0));
    else if (flag == "--threads") flags.gateway.threads = int(number(flag, value, 1));
    else if (flag == "--tls-cert") flags.tls_cert = value;
    else if (flag == "--tls-key") flags.tls_key = value;
    else throw std::invalid_argument("unknown flag " + flag);
  }
  if (flags.port > 65535) throw std::invalid_argument("--port is at most 65535");
  if (flags.tls_cert.empty() != flags.tls_key.empty()) throw std::invalid_argument("--tls-cert and --tls-key go together");
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  try {
    flags = parse_flags(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "boxoffice-fake-gateway: %s\n%s", e.what(), help);
    return 2;
  }
  if (flags.help) {
    std::fputs(help, stdout);
    return 0;
  }

  // SIGTERM and SIGINT are taken by one thread with sigwait, so no handler
  // runs inside a worker; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  gateway::FakeGateway gateway(flags.gateway);
  std::unique_ptr<httplib::Server> https;
  if (!flags.tls_cert.empty()) {
    https = std::make_unique<httplib::SSLServer>(flags.tls_cert.c_str(), flags.tls_key.c_str());
    if (!https->is_valid()) {
      std::fprintf(stderr, "boxoffice-fake-gateway: cannot use %s and %s as its certificate and key\n",
                   flags.tls_cert.c_str(), flags.tls_key.c_str());
      return 1;
    }
  }
  httplib::Server plain;
  httplib::Server& server = https ? *https : plain;
  gateway.install(server);
  int port = gateway::FakeGateway::bind(server, flags.host, flags.port);
  if (port < 0) {
    std::fprintf(stderr, "boxoffice-fake-gateway: cannot listen on %s:%d\n", flags.host.c_str(), flags.port);
    return 1;
  }
  // Bound and listening: connections made from now on wait in the backlog.
  std::printf("listening on %s:%d\n", flags.host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> served{false};
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    gateway.stop_waiting();  // or stop() would wait out every hanging confirm
    // stop() does nothing before the server runs: a signal that early waits for it.
    while (!server.is_running() && !served) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
  });
  bool listened = server.listen_after_bind();  // returns once stopped and in-flight requests are done
  served = true;
  pthread_kill(stopper.native_handle(), SIGTERM);  // in case it ended on its own
  stopper.join();
  return listened ? 0 : 1;
}
