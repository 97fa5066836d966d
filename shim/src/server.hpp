// The HTTP server: authenticates, translates JSON and SQLSTATEs, and hands
// every request to the database as one transaction.
#pragma once

#include <memory>
#include <string>

#include "metrics.hpp"
#include "pool.hpp"
#include "rate_limit.hpp"
#include "settings.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace shim {

struct Outcome;  // what one request turned into (server.cpp)

class HttpServer {
 public:
  HttpServer(const Settings& settings, Pool& pool, Metrics& metrics);
  ~HttpServer();
  // Binds the listening socket; returns the port, or -1.
  int bind();
  // Serves until stop(); in-flight requests finish before it returns.
  void serve();
  // Stops accepting connections (safe from another thread).
  void stop();

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  Outcome route_request(const httplib::Request& req, httplib::Response& res, const std::string& request_id);
  const Settings& settings_;
  Pool& pool_;
  Metrics& metrics_;
  std::string openapi_;
  std::unique_ptr<httplib::Server> server_;
  int listen_socket_ = -1;
  RateLimiter secret_attempts_;
};

// The prepared statements the pool needs: one per SQL route.
std::vector<Statement> route_statements();

}  // namespace shim
