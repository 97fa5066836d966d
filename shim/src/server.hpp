// The HTTP server: authenticates, translates JSON and SQLSTATEs, and hands
// every request to the database as one transaction.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "gateway_client.hpp"
#include "metrics.hpp"
#include "poll_limiter.hpp"
#include "pool.hpp"
#include "rate_limit.hpp"
#include "seat_map_cache.hpp"
#include "settings.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace shim {

struct Outcome;  // what one request turned into (server.cpp)
struct Route;
enum class Kind;

class HttpServer {
 public:
  // gateway: the card payment gateway, or nullptr (card payments answer 503)
  HttpServer(const Settings& settings, Pool& pool, Metrics& metrics, const GatewayClient* gateway = nullptr);
  ~HttpServer();
  // Binds the listening socket; returns the port, or -1.
  int bind();
  // Serves until stop(); in-flight requests finish before it returns.
  void serve();
  // Stops accepting connections (safe from another thread).
  void stop();

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  // The steps of a request (server.cpp); each ends the request with an
  // Outcome or hands on to the next.
  Outcome route_request(const httplib::Request& req, const std::string& request_id);
  Outcome answer_route(const httplib::Request& req, const Route& route, const std::string& path_id,
                       const std::string& request_id);
  std::optional<Outcome> serve_own_route(Kind kind);
  std::optional<Outcome> ration_secret_attempts(const Route& route, const std::string& client);
  std::optional<Outcome> pace_polls(const Route& route, const std::string& key);
  Outcome serve_seat_map(const httplib::Request& req, const Route& route, const std::string& performance_id,
                         const std::string& request_id);
  static std::string poll_key_of(const nlohmann::json& claims, const std::string& queue_token);
  Outcome confirm_card(const Route& route, const nlohmann::json& claims, const std::string& payment_id,
                       const std::string& body, const std::string& receipt, const std::string& request_id);
  const Settings& settings_;
  Pool& pool_;
  Metrics& metrics_;
  const GatewayClient* gateway_;
  std::string openapi_;
  std::unique_ptr<httplib::Server> server_;
  int listen_socket_ = -1;
  RateLimiter secret_attempts_;
  PollLimiter queue_polls_;
  SeatMapCache seat_maps_;
};

// The prepared statements the pool needs: one per SQL route.
std::vector<Statement> route_statements();

}  // namespace shim
