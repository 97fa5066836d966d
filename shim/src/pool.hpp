// A bounded pool of libpq connections. Each request is one transaction in one
// network round trip: in pipeline mode the pool sends
//   1. the prepared context statement, which sets the role and the verified
//      JWT claims transaction-locally:
//        SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)
//   2. the route's prepared statement,
//   3. Sync (the implicit transaction commits, or rolls back on error).
// Connections are opened lazily, prepare every statement once, are re-opened
// after the server restarts, and run with a statement_timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shim {

struct Statement {
  std::string name;  // prepared statement name
  std::string sql;   // parameters are text ($1::bigint casts in the SQL)
  int params = 0;
};

// The buyer routes' context statement (1. above), as every connection
// prepares it: for a client that must send what the pool sends (bench/http).
const Statement& context_statement();

struct QueryResult {
  enum class Outcome { ok, sql_error, connection_error } outcome = Outcome::ok;
  bool has_row = false;
  std::string value;  // first column of the first row (the JSON body), when has_row
  // sql_error: the server's error fields
  std::string sqlstate, message, detail, hint;
  // ok: the first NOTICE of class TK the statement raised, if any. A function
  // that answers a refusal instead of raising it (try_hold) says why this way.
  struct Notice {
    std::string sqlstate, message, detail, hint;
  };
  std::optional<Notice> refusal;
};

class Pool {
 public:
  struct Options {
    std::string conninfo;
    int size = 8;
    std::chrono::milliseconds wait{200};  // longest wait for a free connection
    int statement_timeout_ms = 5000;
    std::vector<Statement> statements;
  };
  explicit Pool(Options options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs a prepared statement as `role` with `claims_json` (see above).
  // nullopt: no connection became free within the wait (answer 503).
  // A broken connection is dropped (and re-opened on next use) and reported
  // as Outcome::connection_error; the request is not retried.
  std::optional<QueryResult> execute(const std::string& role, const std::string& claims_json,
                                     const std::string& statement, const std::vector<std::optional<std::string>>& params);

  // True when a connection answers within the wait (for /readyz).
  bool ping();

  struct Stats {
    int size = 0, open = 0, in_use = 0, waiting = 0;
    uint64_t acquired = 0, timeouts = 0, connects = 0, connection_errors = 0;
  };
  Stats stats() const;

  struct Connection;  // a slot of the pool (pool.cpp)

 private:
  Connection* acquire();
  void release(Connection* c);
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  Stats stats_;
};

}  // namespace shim
