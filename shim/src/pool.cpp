#include "pool.hpp"

#include <poll.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

namespace shim {

namespace {

const char* const kContextStatement = "_boxoffice_context";
const char* const kContextSql =
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)";
// Admin requests: the database, not the token alone, says who is an admin, so
// a demoted or deleted admin's token stops working at once.
const char* const kAdminContextStatement = "_boxoffice_admin_context";
const char* const kAdminContextSql =
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
    " boxoffice.require_admin(($2::jsonb->>'sub')::bigint)";

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

}  // namespace

const Statement& context_statement() {
  static const Statement statement{kContextStatement, kContextSql, 2};
  return statement;
}

// A slot of the pool; pg is null while the slot is unopened. Only the thread
// that acquired the slot touches pg, so it needs no lock.
struct Pool::Connection {
  PGconn* pg = nullptr;
  std::optional<QueryResult::Notice> refusal;  // of the statement running now
};

namespace {

// Server NOTICEs arrive here, not on stderr (libpq's default). A refusal
// (class TK) is kept for the request; others are dropped.
void keep_refusal(void* slot, const PGresult* notice) {
  auto* c = static_cast<Pool::Connection*>(slot);
  std::string sqlstate = field(notice, PG_DIAG_SQLSTATE);
  if (c->refusal || sqlstate.rfind("TK", 0) != 0) return;
  c->refusal = QueryResult::Notice{sqlstate, field(notice, PG_DIAG_MESSAGE_PRIMARY), field(notice, PG_DIAG_MESSAGE_DETAIL),
                                   field(notice, PG_DIAG_MESSAGE_HINT)};
}

}  // namespace

Pool::Pool(Options options) : options_(std::move(options)) {
  options_.size = std::max(1, options_.size);
  stats_.size = options_.size;
  for (int i = 0; i < options_.size; ++i) {
    connections_.push_back(std::make_unique<Connection>());
    idle_.push_back(connections_.back().get());
  }
}

Pool::~Pool() {
  for (auto& c : connections_)
    if (c->pg) PQfinish(c->pg);
}

Pool::Connection* Pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.wait;
  ++stats_.waiting;
  while (idle_.empty()) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
      --stats_.waiting;
      ++stats_.timeouts;
      return nullptr;
    }
  }
  --stats_.waiting;
  // Prefer an open connection so unopened slots are only opened under load.
  auto it = std::find_if(idle_.rbegin(), idle_.rend(), [](Connection* c) { return c->pg != nullptr; });
  Connection* c;
  if (it != idle_.rend()) {
    c = *it;
    idle_.erase(std::next(it).base());
  } else {
    c = idle_.back();
    idle_.pop_back();
  }
  ++stats_.in_use;
  ++stats_.acquired;
  return c;
}

void Pool::release(Connection* c) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --stats_.in_use;
    idle_.push_back(c);
  }
  available_.notify_one();
}

// The helpers below run outside the mutex on an acquired slot; they take the
// lock only to update the counters.
namespace {

struct Counters {
  std::mutex& mutex;
  Pool::Stats& stats;
};

void drop(PGconn*& pg, Counters k) {
  if (!pg) return;
  PQfinish(pg);
  pg = nullptr;
  std::lock_guard<std::mutex> lock(k.mutex);
  --k.stats.open;
  ++k.stats.connection_errors;
}

bool command_ok(PGconn* pg, PGresult* r) {
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok && PQstatus(pg) == CONNECTION_OK;
}

// Opens and prepares a connection; on failure pg stays null.
bool open(PGconn*& pg, Pool::Connection* slot, const Pool::Options& options, Counters k) {
  PGconn* conn = PQconnectdb(options.conninfo.c_str());
  bool ok = conn && PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PQsetNoticeReceiver(conn, keep_refusal, slot);
    // notices reach us whatever the role's settings say: a refused hold is told in one
    std::string set = "SET statement_timeout = " + std::to_string(std::max(0, options.statement_timeout_ms)) +
                      "; SET client_min_messages = notice";
    ok = command_ok(conn, PQexec(conn, set.c_str()));
  }
  if (ok) ok = command_ok(conn, PQprepare(conn, kContextStatement, kContextSql, 2, nullptr));
  if (ok) ok = command_ok(conn, PQprepare(conn, kAdminContextStatement, kAdminContextSql, 2, nullptr));
  for (const auto& s : options.statements) {
    if (!ok) break;
    PGresult* r = PQprepare(conn, s.name.c_str(), s.sql.c_str(), s.params, nullptr);
    if (r && PQresultStatus(r) == PGRES_FATAL_ERROR)
      // A statement the server rejects is a deployment bug; say which one.
      std::fprintf(stderr, "boxoffice pool: preparing statement %s failed: %s", s.name.c_str(),
                   PQresultErrorMessage(r));
    ok = command_ok(conn, r);
  }
  std::lock_guard<std::mutex> lock(k.mutex);
  if (!ok) {
    if (conn) PQfinish(conn);
    ++k.stats.connection_errors;
    return false;
  }
  pg = conn;
  ++k.stats.open;
  ++k.stats.connects;
  return true;
}

// An idle connection has nothing to say. If its socket is readable, the
// server closed it or announced that it is going away (a restart or a
// terminated backend), so it is replaced before anything is sent: a restart
// costs no request an error.
bool went_away(PGconn* pg) {
  pollfd p{PQsocket(pg), POLLIN, 0};
  return poll(&p, 1, 0) != 0;
}

// Makes the slot's connection open and usable (re-opening a broken one).
bool ready(Pool::Connection* slot, const Pool::Options& options, Counters k) {
  PGconn*& pg = slot->pg;
  if (pg && PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) == PQTRANS_IDLE && !went_away(pg)) return true;
  if (pg) drop(pg, k);
  return open(pg, slot, options, k);
}

}  // namespace

std::optional<QueryResult> Pool::execute(const std::string& role, const std::string& claims_json,
                                         const std::string& statement,
                                         const std::vector<std::optional<std::string>>& params) {
  Connection* c = acquire();
  if (!c) return std::nullopt;
  Counters k{mutex_, stats_};
  QueryResult result;
  auto broken = [&] {
    drop(c->pg, k);
    result = QueryResult{};
    result.outcome = QueryResult::Outcome::connection_error;
  };

  if (!ready(c, options_, k)) {
    result.outcome = QueryResult::Outcome::connection_error;
    release(c);
    return result;
  }
  PGconn* pg = c->pg;
  c->refusal.reset();

  const char* context_values[2] = {role.c_str(), claims_json.c_str()};
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);

  bool sent = PQenterPipelineMode(pg) == 1 &&
              PQsendQueryPrepared(pg, role == "boxoffice_admin" ? kAdminContextStatement : kContextStatement, 2,
                                  context_values, nullptr, nullptr, 0) == 1 &&
              PQsendQueryPrepared(pg, statement.c_str(), static_cast<int>(values.size()), values.data(),
                                  nullptr, nullptr, 0) == 1 &&
              PQpipelineSync(pg) == 1;
  if (!sent) {
    broken();
    release(c);
    return result;
  }

  // Expected: context result, NULL, route result, NULL, PIPELINE_SYNC. An
  // error may also arrive after the route's NULL (a failed COMMIT at Sync,
  // e.g. a deferred constraint), so index 2+ errors count too.
  bool failed = false, synced = false, lost = false;
  int index = 0, nulls = 0;
  while (true) {
    PGresult* r = PQgetResult(pg);
    if (!r) {
      // Two NULLs in a row mean libpq has nothing more to give: the
      // connection is gone or the pipeline is out of step.
      if (PQstatus(pg) == CONNECTION_BAD || ++nulls > 1) {
        lost = true;
        break;
      }
      ++index;
      continue;
    }
    nulls = 0;
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      synced = true;
      break;
    }
    if (st == PGRES_FATAL_ERROR) {
      if (!failed) {
        failed = true;
        result.outcome = QueryResult::Outcome::sql_error;
        result.has_row = false;
        result.value.clear();
        result.sqlstate = field(r, PG_DIAG_SQLSTATE);
        result.message = field(r, PG_DIAG_MESSAGE_PRIMARY);
        result.detail = field(r, PG_DIAG_MESSAGE_DETAIL);
        result.hint = field(r, PG_DIAG_MESSAGE_HINT);
        // libpq's own errors (lost connection) carry no SQLSTATE.
        if (result.sqlstate.empty()) lost = true;
      }
    } else if (st == PGRES_PIPELINE_ABORTED) {
      // Follows an earlier error; that error is the one reported.
    } else if (index == 0 && st == PGRES_TUPLES_OK) {
      // The context statement succeeded.
    } else if (index == 1 && !failed && st == PGRES_TUPLES_OK) {
      result.has_row = PQntuples(r) > 0;
      if (result.has_row)
        result.value = (PQnfields(r) == 0 || PQgetisnull(r, 0, 0)) ? "null" : PQgetvalue(r, 0, 0);
    } else if (index == 1 && (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY)) {
      // No rows: has_row stays false.
    } else {
      lost = true;  // COPY or another state this pool cannot drive back to idle
    }
    PQclear(r);
    if (lost || PQstatus(pg) == CONNECTION_BAD) {
      lost = true;
      break;
    }
  }

  if (result.outcome == QueryResult::Outcome::ok) result.refusal = std::move(c->refusal);
  if (lost || !synced || PQexitPipelineMode(pg) != 1 || PQstatus(pg) != CONNECTION_OK ||
      PQtransactionStatus(pg) != PQTRANS_IDLE)
    broken();
  release(c);
  return result;
}

bool Pool::ping() {
  Connection* c = acquire();
  if (!c) return false;
  Counters k{mutex_, stats_};
  bool ok = ready(c, options_, k);
  if (ok) {
    PGresult* r = PQexec(c->pg, "SELECT 1");
    ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
      drop(c->pg, k);
      ok = false;
    }
  }
  release(c);
  return ok;
}

Pool::Stats Pool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace shim
