#include "spi.hpp"

#include <memory>

#include "guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace boxoffice {

SpiConnection::SpiConnection()
    : caller_context_(CurrentMemoryContext), uncaught_at_start_(std::uncaught_exceptions()) {
  int rc = pg_call([] { return SPI_connect(); });
  if (rc != SPI_OK_CONNECT) throw Error(ERRCODE_INTERNAL_ERROR, "SPI_connect failed", SPI_result_code_string(rc));
}

SpiConnection::~SpiConnection() {
  if (std::uncaught_exceptions() > uncaught_at_start_) return;  // the abort cleans up
  SPI_finish();  // does not raise for a connected procedure
}

PinnedSearchPath::PinnedSearchPath() : uncaught_at_start_(std::uncaught_exceptions()) {
  nest_level_ = pg_call([] {
    int level = NewGUCNestLevel();
    (void)set_config_option("search_path", "boxoffice, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
    return level;
  });
}

PinnedSearchPath::~PinnedSearchPath() {
  // as fmgr_security_definer restores a SET clause; while an exception unwinds
  // too (an abort would restore it, but a caller might catch the exception)
  AtEOXact_GUC(std::uncaught_exceptions() <= uncaught_at_start_, nest_level_);
}

Args& Args::push(Datum d, bool isnull) {
  values_.push_back(d);
  nulls_.push_back(isnull ? 'n' : ' ');
  return *this;
}

Args& Args::bigint(std::optional<int64_t> v) { return push(v ? Int64GetDatum(*v) : Datum(0), !v); }

Args& Args::integer(int32_t v) { return push(Int32GetDatum(v), false); }

Args& Args::timestamptz(TimestampTz v) { return push(TimestampTzGetDatum(v), false); }

Args& Args::datum(Datum v) { return push(v, false); }

Args& Args::string(const std::string* v) {
  if (v == nullptr) return push(Datum(0), true);
  const std::string& s = *v;
  Datum d = pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size()))); });
  return push(d, false);
}

Args& Args::bigint_array(const std::vector<int64_t>& v) {
  const int64_t* data = v.data();
  int n = static_cast<int>(v.size());
  Datum d = pg_call([&] {
    Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; i++) elems[i] = Int64GetDatum(data[i]);
    return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(::int64), true, TYPALIGN_DOUBLE));
  });
  return push(d, false);
}

SPIPlanPtr Plan::prepared() {
  if (plan_ == nullptr) {
    // A generic plan, made once: left to choose, the plan cache re-plans
    // statements such as `id = ANY ($1)` on every call (custom plans), and
    // planning then costs more than running them.
    SPIPlanPtr prepared = pg_call([&] {
      SPIPlanPtr p = SPI_prepare_cursor(sql_, static_cast<int>(argtypes_.size()), argtypes_.data(),
                                        CURSOR_OPT_GENERIC_PLAN);
      if (p != nullptr) SPI_keepplan(p);
      return p;
    });
    if (prepared == nullptr)
      throw Error(ERRCODE_INTERNAL_ERROR, "could not prepare a boxoffice statement", SPI_result_code_string(SPI_result));
    plan_ = prepared;
  }
  return plan_;
}

Result Plan::run(const Args& args, long max_rows) {
  SPIPlanPtr plan = prepared();
  int rc = pg_call([&] {
    return SPI_execute_plan(plan, const_cast<Datum*>(args.values()), args.nulls(), false, max_rows);
  });
  if (rc < 0) throw Error(ERRCODE_INTERNAL_ERROR, "a boxoffice statement failed", SPI_result_code_string(rc));
  return Result(SPI_tuptable, SPI_processed);
}

Result Plan::run_on_latest(const Args& args, long max_rows) {
  SPIPlanPtr plan = prepared();
  int rc = pg_call([&] {
    return SPI_execute_snapshot(plan, const_cast<Datum*>(args.values()), args.nulls(), GetLatestSnapshot(),
                                InvalidSnapshot, false, false, max_rows);
  });
  if (rc < 0) throw Error(ERRCODE_INTERNAL_ERROR, "a boxoffice statement failed", SPI_result_code_string(rc));
  return Result(SPI_tuptable, SPI_processed);
}

ResultRow Result::row(uint64_t i) const {
  if (table_ == nullptr || i >= rows_) throw Error(ERRCODE_INTERNAL_ERROR, "boxoffice read a row that does not exist");
  return ResultRow(*this, i);
}

int ResultRow::column_number(const char* column) const {
  int n = SPI_fnumber(result_.table_->tupdesc, column);  // a lookup by name; never raises
  if (n <= 0) throw Error(ERRCODE_INTERNAL_ERROR, std::string("a boxoffice statement has no column ") + column);
  return n;
}

Datum ResultRow::datum(const char* column, bool* isnull) const {
  return SPI_getbinval(result_.table_->vals[i_], result_.table_->tupdesc, column_number(column), isnull);
}

HeapTuple ResultRow::tuple() const { return result_.table_->vals[i_]; }

bool ResultRow::is_null(const char* column) const {
  bool isnull;
  datum(column, &isnull);
  return isnull;
}

int64_t ResultRow::bigint(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  return isnull ? 0 : DatumGetInt64(d);
}

int32_t ResultRow::integer(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  return isnull ? 0 : DatumGetInt32(d);
}

bool ResultRow::boolean(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  return !isnull && DatumGetBool(d);
}

TimestampTz ResultRow::timestamptz(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  return isnull ? 0 : DatumGetTimestampTz(d);
}

std::string ResultRow::string(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  if (isnull) return {};
  // Output through the column's type, so enums and numbers read as text too.
  Oid type = SPI_gettypeid(result_.table_->tupdesc, column_number(column));
  char* s = pg_call([&] {
    Oid out;
    bool varlena;
    getTypeOutputInfo(type, &out, &varlena);
    return OidOutputFunctionCall(out, d);
  });
  return std::string(s);
}

std::vector<int64_t> ResultRow::bigint_array(const char* column) const {
  bool isnull;
  Datum d = datum(column, &isnull);
  if (isnull) return {};
  Datum* elems = nullptr;
  bool* elem_nulls = nullptr;
  int n = 0;
  pg_call([&] {
    deconstruct_array(DatumGetArrayTypeP(d), INT8OID, sizeof(::int64), true, TYPALIGN_DOUBLE, &elems, &elem_nulls, &n);
  });
  std::vector<int64_t> out;
  out.reserve(n);
  for (int i = 0; i < n; i++)
    if (!elem_nulls[i]) out.push_back(DatumGetInt64(elems[i]));
  return out;
}

std::optional<int64_t> ResultRow::optional_bigint(const char* column) const {
  if (is_null(column)) return std::nullopt;
  return bigint(column);
}

std::optional<std::string> ResultRow::optional_string(const char* column) const {
  if (is_null(column)) return std::nullopt;
  return string(column);
}

std::optional<TimestampTz> ResultRow::optional_timestamptz(const char* column) const {
  if (is_null(column)) return std::nullopt;
  return timestamptz(column);
}

Datum form_result_row(FunctionCallInfo fcinfo, const SpiConnection& spi, const Datum* values, const bool* nulls,
                      int expected_columns) {
  TupleDesc desc = nullptr;
  TypeFuncClass kind = pg_call([&] { return get_call_result_type(fcinfo, nullptr, &desc); });
  if (kind != TYPEFUNC_COMPOSITE || desc->natts != expected_columns)
    throw Error(ERRCODE_INTERNAL_ERROR, "boxoffice function declared with the wrong result type");
  MemoryContext caller = spi.caller_context();
  return pg_call([&] {
    // Everything, including the flattening of out-of-line values that
    // HeapTupleGetDatum does, happens in the caller's context: SPI_finish
    // frees the current one.
    MemoryContext previous = MemoryContextSwitchTo(caller);
    HeapTuple tuple = heap_form_tuple(BlessTupleDesc(desc), const_cast<Datum*>(values), const_cast<bool*>(nulls));
    Datum result = HeapTupleGetDatum(tuple);
    MemoryContextSwitchTo(previous);
    return result;
  });
}

Datum first_row_as_result(FunctionCallInfo fcinfo, const SpiConnection& spi, const Result& result) {
  TupleDesc desc = result.descriptor();
  std::vector<Datum> values(desc->natts);
  std::unique_ptr<bool[]> nulls(new bool[desc->natts]);
  HeapTuple row = result.first().tuple();
  pg_call([&] { heap_deform_tuple(row, desc, values.data(), nulls.get()); });
  return form_result_row(fcinfo, spi, values.data(), nulls.get(), desc->natts);
}

}  // namespace boxoffice
