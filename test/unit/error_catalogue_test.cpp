// The shim's error catalogue, compiled from extension/sql/errors.sql, against
// the catalogue the installed extension serves (boxoffice.error_codes), in
// the database named by BOXOFFICE_TEST_DATABASE_URL: a stale build, or an
// extension built from other sources, disagrees here.
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "error_catalogue.hpp"

namespace {

using Row = std::tuple<std::string, int>;  // name, HTTP status

TEST(ErrorCatalogue, TheShimAndTheDatabaseAgree) {
  const char* url = std::getenv("BOXOFFICE_TEST_DATABASE_URL");
  if (!url) GTEST_SKIP() << "BOXOFFICE_TEST_DATABASE_URL is not set";
  PGconn* pg = PQconnectdb(url);
  ASSERT_EQ(PQstatus(pg), CONNECTION_OK) << PQerrorMessage(pg);
  PGresult* r = PQexec(pg, "SELECT sqlstate, name, http_status FROM boxoffice.error_codes");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(pg);
  std::map<std::string, Row> database, shim;
  for (int i = 0; i < PQntuples(r); i++)
    database[PQgetvalue(r, i, 0)] = {PQgetvalue(r, i, 1), std::atoi(PQgetvalue(r, i, 2))};
  PQclear(r);
  PQfinish(pg);
  for (const auto& e : shim::error_catalogue::entries) shim[e.sqlstate] = {e.name, e.http_status};
  EXPECT_EQ(database, shim);
}

}  // namespace
