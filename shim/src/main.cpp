// boxoffice-http: REST over the boxoffice SQL API. See --help.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "card_settlement.hpp"
#include "gateway_client.hpp"
#include "metrics.hpp"
#include "openapi.hpp"
#include "pool.hpp"
#include "reconciler.hpp"
#include "server.hpp"
#include "settings.hpp"

namespace {
void say(const nlohmann::json& event) { std::printf("%s\n", event.dump().c_str()); std::fflush(stdout); }
}  // namespace

int main(int argc, char** argv) {
  shim::Settings settings;
  try {
    settings = shim::parse_settings(argc, argv, shim::process_environment());
  } catch (const shim::SettingsError& e) {
    std::fprintf(stderr, "boxoffice-http: %s\n", e.what());
    return 2;
  }
  if (settings.help) {
    std::fputs(shim::help_text().c_str(), stdout);
    return 0;
  }
  if (settings.print_openapi) {  // for linters and client generators, without a database; indented for people
    std::printf("%s\n", shim::openapi_json().dump(2).c_str());
    return 0;
  }

  // SIGTERM and SIGINT are taken by one thread with sigwait, so no handler
  // runs inside a worker; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<shim::Statement> statements = shim::route_statements();
  for (shim::Statement& s : shim::settlement_statements()) statements.push_back(std::move(s));
  shim::Pool pool({settings.database_url, settings.pool_size, std::chrono::milliseconds(settings.pool_wait_ms),
                   settings.statement_timeout_ms, statements});
  shim::Metrics metrics;
  std::unique_ptr<shim::GatewayClient> gateway;
  if (!settings.gateway_url.empty())
    gateway = std::make_unique<shim::GatewayClient>(settings.gateway_url, settings.gateway_secret_key, settings.gateway_timeout_ms,
                                                    settings.gateway_ca_file);
  std::unique_ptr<shim::Reconciler> reconciler;
  if (gateway && settings.reconcile_interval_ms > 0) {
    reconciler = std::make_unique<shim::Reconciler>(pool, *gateway, std::chrono::milliseconds(settings.reconcile_interval_ms),
                                                    settings.reconcile_after_s);
    reconciler->start();
  }
  shim::HttpServer server(settings, pool, metrics, gateway.get());
  int port = server.bind();
  if (port < 0) {
    std::fprintf(stderr, "boxoffice-http: cannot listen on %s:%d\n", settings.listen_host.c_str(), settings.port);
    return 1;
  }
  if (!settings.port_file.empty()) std::ofstream(settings.port_file) << port << "\n";
  say({{"event", "listening"}, {"host", settings.listen_host}, {"port", port}, {"threads", settings.threads},
       {"pool_size", settings.pool_size}});

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    say({{"event", "stopping"}, {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.stop();
  });
  server.serve();  // returns once stopped and in-flight requests are done
  pthread_kill(stopper.native_handle(), SIGTERM);  // in case serve() ended on its own
  stopper.join();
  reconciler.reset();  // its run in progress finishes first
  say({{"event", "stopped"}});
  return 0;
}
