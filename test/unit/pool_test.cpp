// Pool tests against a real PostgreSQL, named by BOXOFFICE_TEST_DATABASE_URL
// (libpq conninfo or URI); skipped when it is unset.
#include "pool.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <unistd.h>

using shim::Pool;
using shim::QueryResult;
using shim::Statement;
using Outcome = QueryResult::Outcome;
using Params = std::vector<std::optional<std::string>>;

namespace {

const char* database_url() { return std::getenv("BOXOFFICE_TEST_DATABASE_URL"); }

// A plain libpq connection beside the pool, for set-up and for checking.
class Admin {
 public:
  explicit Admin(const char* conninfo) : pg_(PQconnectdb(conninfo)) {
    PQsetNoticeProcessor(pg_, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  }
  ~Admin() { PQfinish(pg_); }
  bool ok() const { return PQstatus(pg_) == CONNECTION_OK; }
  std::string error() const { return PQerrorMessage(pg_); }
  // The first value of the first row, or "ERROR: ..." so a failure shows in the assertion.
  std::string query(const std::string& sql, const Params& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PGresult* r = PQexecParams(pg_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0);
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
      out = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    else if (PQresultStatus(r) != PGRES_COMMAND_OK)
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    PQclear(r);
    return out;
  }

 private:
  PGconn* pg_;
};

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!database_url()) GTEST_SKIP() << "BOXOFFICE_TEST_DATABASE_URL is not set";
    admin_ = std::make_unique<Admin>(database_url());
    ASSERT_TRUE(admin_->ok()) << admin_->error();
    user_ = admin_->query("SELECT current_user");
    ASSERT_EQ(admin_->query("CREATE TABLE IF NOT EXISTS boxoffice_pool_test (k text NOT NULL, "
                            "v int UNIQUE DEFERRABLE INITIALLY DEFERRED)"),
              "");
    ASSERT_EQ(admin_->query("CREATE OR REPLACE FUNCTION boxoffice_pool_test_raise() RETURNS text "
                            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'BX001', "
                            "MESSAGE = 'the message', DETAIL = 'the detail', HINT = 'the hint'; END $$"),
              "");
    // Unique per test, so runs against a shared database do not see each other's rows.
    marker_ = std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  void TearDown() override {
    if (admin_ && admin_->ok()) admin_->query("DELETE FROM boxoffice_pool_test WHERE k = $1", {marker_});
  }

  Pool::Options options(int size = 2) {
    Pool::Options o;
    o.conninfo = database_url();
    o.size = size;
    o.wait = std::chrono::milliseconds(5000);
    o.statements = {
        {"json", "SELECT json_build_object('a', $1::text, 'b', $2::int)::text", 2},
        {"null", "SELECT NULL::text", 0},
        {"none", "SELECT 'x' WHERE false", 0},
        {"context", "SELECT current_setting('request.jwt.claims') || '|' || current_user", 0},
        {"pid", "SELECT pg_backend_pid()::text", 0},
        {"sleep", "SELECT pg_sleep($1::float8)::text", 1},
        {"raise", "SELECT boxoffice_pool_test_raise()", 0},
        {"insert", "INSERT INTO boxoffice_pool_test (k, v) VALUES ($1, $2::int)", 2},
        // The insert happens, then the same statement fails: all of it must be rolled back.
        {"insert_then_fail",
         "WITH i AS (INSERT INTO boxoffice_pool_test (k) VALUES ($1) RETURNING 1 AS one) "
         "SELECT (1 / (one - 1))::text FROM i",
         1},
        // Both rows are accepted; the deferred unique check fails at COMMIT (the Sync).
        {"insert_twice_deferred", "INSERT INTO boxoffice_pool_test (k, v) VALUES ($1, 7), ($1, 7)", 1},
    };
    return o;
  }

  std::string count_rows() {
    return admin_->query("SELECT count(*)::text FROM boxoffice_pool_test WHERE k = $1", {marker_});
  }

  std::unique_ptr<Admin> admin_;
  std::string user_, marker_;
};

}  // namespace

TEST_F(PoolTest, OpensLazilyAndReturnsJsonText) {
  Pool pool(options());
  EXPECT_EQ(pool.stats().open, 0);
  EXPECT_EQ(pool.stats().size, 2);
  auto r = pool.execute(user_, "{}", "json", {"x", "42"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_TRUE(r->has_row);
  EXPECT_EQ(r->value, R"({"a" : "x", "b" : 42})");
  auto s = pool.stats();
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.acquired, 1u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.connection_errors, 0u);
}

TEST_F(PoolTest, NullParametersAndResults) {
  Pool pool(options());
  auto r = pool.execute(user_, "{}", "json", {std::nullopt, std::nullopt});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(r->value, R"({"a" : null, "b" : null})");

  r = pool.execute(user_, "{}", "null", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_TRUE(r->has_row);
  EXPECT_EQ(r->value, "null");

  r = pool.execute(user_, "{}", "none", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_FALSE(r->has_row);
}

TEST_F(PoolTest, CommandWithoutRowsCommits) {
  Pool pool(options());
  auto r = pool.execute(user_, "{}", "insert", {marker_, std::nullopt});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_FALSE(r->has_row);
  EXPECT_EQ(count_rows(), "1");
}

TEST_F(PoolTest, ContextSetsRoleAndClaimsForTheStatement) {
  Pool pool(options(1));
  auto r = pool.execute(user_, R"({"sub":"u1","role":"x"})", "context", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(r->value, R"({"sub":"u1","role":"x"})" "|" + user_);
  // Same connection, next request: its own claims, nothing left over.
  r = pool.execute(user_, R"({"sub":"u2"})", "context", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(r->value, R"({"sub":"u2"})" "|" + user_);
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST_F(PoolTest, ContextErrorIsReportedAndConnectionStaysUsable) {
  Pool pool(options(1));
  auto r = pool.execute("boxoffice_no_such_role", "{}", "context", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "22023");
  EXPECT_NE(r->message.find("boxoffice_no_such_role"), std::string::npos) << r->message;
  EXPECT_FALSE(r->has_row);
  r = pool.execute(user_, "{}", "null", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST_F(PoolTest, SqlErrorCarriesServerFieldsAndConnectionStaysUsable) {
  Pool pool(options(1));
  auto r = pool.execute(user_, "{}", "raise", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "BX001");
  EXPECT_EQ(r->message, "the message");
  EXPECT_EQ(r->detail, "the detail");
  EXPECT_EQ(r->hint, "the hint");
  EXPECT_FALSE(r->has_row);

  r = pool.execute(user_, "{}", "json", {"y", "1"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(r->value, R"({"a" : "y", "b" : 1})");
  auto s = pool.stats();
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.connection_errors, 0u);
}

TEST_F(PoolTest, UnknownStatementIsAnSqlError) {
  Pool pool(options(1));
  auto r = pool.execute(user_, "{}", "no_such_statement", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "26000");
  r = pool.execute(user_, "{}", "null", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok) << r->message;
}

TEST_F(PoolTest, FailedStatementIsRolledBack) {
  Pool pool(options(1));
  auto r = pool.execute(user_, "{}", "insert_then_fail", {marker_});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "22012");
  EXPECT_EQ(count_rows(), "0");
}

TEST_F(PoolTest, ErrorAtCommitIsAnSqlErrorAndRolledBack) {
  Pool pool(options(1));
  auto r = pool.execute(user_, "{}", "insert_twice_deferred", {marker_});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "23505");
  EXPECT_EQ(count_rows(), "0");
  r = pool.execute(user_, "{}", "null", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(pool.stats().connection_errors, 0u);
}

TEST_F(PoolTest, FullPoolTimesOut) {
  auto o = options(1);
  o.wait = std::chrono::milliseconds(50);
  Pool pool(o);
  std::optional<QueryResult> slow;
  std::thread t([&] { slow = pool.execute(user_, "{}", "sleep", {"0.5"}); });
  while (pool.stats().in_use == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  auto r = pool.execute(user_, "{}", "null", {});
  const auto waited = std::chrono::steady_clock::now() - start;
  t.join();
  EXPECT_FALSE(r);
  EXPECT_GE(waited, std::chrono::milliseconds(50));
  EXPECT_LT(waited, std::chrono::milliseconds(400));
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->outcome, Outcome::ok) << slow->message;
  auto s = pool.stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.acquired, 1u);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.in_use, 0);
  // Free again.
  r = pool.execute(user_, "{}", "null", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok);
}

TEST_F(PoolTest, StatementTimeout) {
  auto o = options(1);
  o.statement_timeout_ms = 100;
  Pool pool(o);
  auto r = pool.execute(user_, "{}", "sleep", {"1"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::sql_error);
  EXPECT_EQ(r->sqlstate, "57014");
  r = pool.execute(user_, "{}", "sleep", {"0"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST_F(PoolTest, RecoversAfterTheBackendIsTerminated) {
  Pool pool(options(1));
  auto r = pool.execute(user_, "{}", "pid", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  const std::string pid = r->value;
  ASSERT_EQ(admin_->query("SELECT pg_terminate_backend($1::int, 5000)::text", {pid}), "true");

  r = pool.execute(user_, "{}", "pid", {});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->outcome == Outcome::connection_error || r->outcome == Outcome::ok)
      << static_cast<int>(r->outcome) << " " << r->sqlstate << " " << r->message;
  const bool reported = r->outcome == Outcome::connection_error;

  r = pool.execute(user_, "{}", "pid", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, Outcome::ok) << r->message;
  EXPECT_NE(r->value, pid);
  auto s = pool.stats();
  EXPECT_EQ(s.connects, 2u);
  EXPECT_EQ(s.open, 1);
  if (reported) {
    EXPECT_GE(s.connection_errors, 1u);
  }
  // Statements were prepared again on the new connection.
  r = pool.execute(user_, "{}", "json", {"z", "3"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::ok) << r->message;
}

TEST_F(PoolTest, Ping) {
  Pool pool(options(1));
  EXPECT_TRUE(pool.ping());
  EXPECT_EQ(pool.stats().open, 1);
  EXPECT_EQ(pool.stats().in_use, 0);
}

TEST_F(PoolTest, ManyThreadsShareFewConnections) {
  Pool pool(options(3));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = pool.execute(user_, "{}", "json", {std::to_string(t), std::to_string(i)});
        if (r && r->outcome == Outcome::ok &&
            r->value == R"({"a" : ")" + std::to_string(t) + R"(", "b" : )" + std::to_string(i) + "}")
          ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12 * 50);
  auto s = pool.stats();
  EXPECT_LE(s.open, 3);
  EXPECT_EQ(s.connects, static_cast<uint64_t>(s.open));
  EXPECT_EQ(s.acquired, 12u * 50u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.timeouts, 0u);
}

// Needs no server: nothing listens on port 1.
TEST(PoolWithoutServer, UnreachableServerIsAConnectionError) {
  Pool::Options o;
  o.conninfo = "host=127.0.0.1 port=1 connect_timeout=2";
  o.size = 1;
  Pool pool(o);
  auto r = pool.execute("anyone", "{}", "x", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::connection_error);
  EXPECT_FALSE(pool.ping());
  auto s = pool.stats();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.connects, 0u);
  EXPECT_EQ(s.connection_errors, 2u);
}
