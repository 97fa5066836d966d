// SPI from C++: a scoped connection and prepared plans kept per backend, so
// the hot path never parses SQL. All calls into SPI go through pg_call.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "postgres.h"
#include "executor/spi.h"
#include "fmgr.h"
}

namespace boxoffice {

// SPI_connect for the lifetime of the object. On a normal exit it calls
// SPI_finish; while an exception unwinds it does nothing, because the
// transaction is about to abort and AtEOXact_SPI cleans up.
class SpiConnection {
 public:
  SpiConnection();
  ~SpiConnection();
  SpiConnection(const SpiConnection&) = delete;
  SpiConnection& operator=(const SpiConnection&) = delete;
  // The memory context of the caller, for results that outlive SPI_finish.
  MemoryContext caller_context() const { return caller_context_; }

 private:
  MemoryContext caller_context_;
  int uncaught_at_start_;
};

// search_path = boxoffice, pg_temp for the lifetime of the object, as a
// function declared with SET search_path has it. For the one SECURITY DEFINER
// function declared without (queue_status: the busiest call, and setting and
// resetting search_path on every call cost a tenth of a poll), around the SQL
// it runs; its C++ names every table by schema and reads no search_path.
// Construct it before the SpiConnection. It gives the caller's setting back
// when it ends, while an exception unwinds too.
class PinnedSearchPath {
 public:
  PinnedSearchPath();
  ~PinnedSearchPath();
  PinnedSearchPath(const PinnedSearchPath&) = delete;
  PinnedSearchPath& operator=(const PinnedSearchPath&) = delete;

 private:
  int nest_level_;
  int uncaught_at_start_;
};

// Arguments of one plan execution.
class Args {
 public:
  Args& bigint(std::optional<int64_t> v);
  Args& integer(int32_t v);
  Args& string(const std::string* v);  // nullptr for NULL
  Args& bigint_array(const std::vector<int64_t>& v);
  Args& timestamptz(TimestampTz v);
  Args& datum(Datum v);  // a value as PostgreSQL holds it, of the plan's type for this argument
  const Datum* values() const { return values_.data(); }
  const char* nulls() const { return nulls_.c_str(); }

 private:
  Args& push(Datum d, bool isnull);
  std::vector<Datum> values_;
  std::string nulls_;
};

// The rows one execution of a plan returned, read by column name. It keeps
// its own table, so later statements do not change it; it lives until the
// SPI connection ends.
class Result;

// One row of a Result. Columns are named as the statement names them.
class ResultRow {
 public:
  bool is_null(const char* column) const;
  int64_t bigint(const char* column) const;
  int32_t integer(const char* column) const;
  bool boolean(const char* column) const;  // NULL reads as false
  TimestampTz timestamptz(const char* column) const;
  std::string string(const char* column) const;  // any type, as its text
  std::vector<int64_t> bigint_array(const char* column) const;
  std::optional<int64_t> optional_bigint(const char* column) const;
  std::optional<std::string> optional_string(const char* column) const;
  std::optional<TimestampTz> optional_timestamptz(const char* column) const;
  HeapTuple tuple() const;  // the whole row, to copy it as it is

 private:
  friend class Result;
  ResultRow(const Result& result, uint64_t i) : result_(result), i_(i) {}
  Datum datum(const char* column, bool* isnull) const;
  int column_number(const char* column) const;
  const Result& result_;
  uint64_t i_;
};

class Result {
 public:
  uint64_t size() const { return rows_; }
  bool empty() const { return rows_ == 0; }
  ResultRow row(uint64_t i) const;
  ResultRow first() const { return row(0); }
  TupleDesc descriptor() const { return table_->tupdesc; }

 private:
  friend class Plan;
  friend class ResultRow;
  Result(SPITupleTable* table, uint64_t rows) : table_(table), rows_(rows) {}
  SPITupleTable* table_;
  uint64_t rows_;
};

// A statement prepared and planned once, on first use, and kept (SPI_keepplan)
// for the backend's lifetime. Declare them as function-local statics.
class Plan {
 public:
  Plan(const char* sql, std::initializer_list<Oid> argtypes) : sql_(sql), argtypes_(argtypes) {}
  // Executes the plan (read-write).
  Result run(const Args& args, long max_rows = 0);
  // Runs a read-only plan on the latest committed state rather than the
  // transaction's snapshot: for reads made under locks, so that REPEATABLE
  // READ callers cannot count or claim against a stale picture. (In READ
  // COMMITTED the two are the same.)
  Result run_on_latest(const Args& args, long max_rows = 0);

 private:
  SPIPlanPtr prepared();
  const char* sql_;
  std::vector<Oid> argtypes_;
  SPIPlanPtr plan_ = nullptr;
};

// The composite result of a SQL-callable function, from column values,
// allocated in the caller's memory context so it outlives SPI_finish.
Datum form_result_row(FunctionCallInfo fcinfo, const SpiConnection& spi, const Datum* values, const bool* nulls,
                      int expected_columns);

// The first row of a result of the function's own result type, as its
// result (allocated as form_result_row does).
Datum first_row_as_result(FunctionCallInfo fcinfo, const SpiConnection& spi, const Result& result);

}  // namespace boxoffice
