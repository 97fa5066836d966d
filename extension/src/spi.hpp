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

// A statement prepared and planned once, on first use, and kept (SPI_keepplan)
// for the backend's lifetime. Declare them as function-local statics.
class Plan {
 public:
  Plan(const char* sql, std::initializer_list<Oid> argtypes) : sql_(sql), argtypes_(argtypes) {}
  // Executes the plan (read-write) and returns the number of rows processed;
  // rows are read with the Row accessors below.
  uint64_t run(const Args& args, long max_rows = 0);
  // Runs a read-only plan on the latest committed state rather than the
  // transaction's snapshot: for reads made under locks, so that REPEATABLE
  // READ callers cannot count or claim against a stale picture. (In READ
  // COMMITTED the two are the same.)
  uint64_t run_on_latest(const Args& args, long max_rows = 0);

 private:
  SPIPlanPtr prepared();
  const char* sql_;
  std::vector<Oid> argtypes_;
  SPIPlanPtr plan_ = nullptr;
};

// Typed access to row i of the last result (SPI_tuptable). Columns count from 1.
class Row {
 public:
  explicit Row(uint64_t i) : i_(i) {}
  bool is_null(int col) const;
  int64_t bigint(int col) const;
  int32_t integer(int col) const;
  bool boolean(int col) const;
  TimestampTz timestamptz(int col) const;
  std::string string(int col) const;
  std::vector<int64_t> bigint_array(int col) const;

 private:
  Datum datum(int col, bool* isnull) const;
  uint64_t i_;
};

// The composite result of a SQL-callable function, from column values,
// allocated in the caller's memory context so it outlives SPI_finish.
Datum form_result_row(FunctionCallInfo fcinfo, const SpiConnection& spi, const Datum* values, const bool* nulls,
                      int expected_columns);

}  // namespace boxoffice
