// The two guards between C++ and PostgreSQL. PostgreSQL raises errors with
// longjmp, which skips C++ destructors; C++ exceptions must never unwind
// through PostgreSQL frames. So every crossing goes through one of these:
//
//   pg_call(fn)            PostgreSQL -> C++: runs fn (which calls PostgreSQL)
//                          and turns a PostgreSQL ERROR into a boxoffice::Error.
//   call_sql_function(..)  C++ -> PostgreSQL: runs a C++ body for a SQL-callable
//                          function and raises any Error as a PostgreSQL error
//                          only after every destructor has run.
//
// Nothing else in the extension uses PG_TRY, sigsetjmp or ereport(ERROR).
#pragma once

#include <exception>
#include <string>
#include <type_traits>

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace boxoffice {

// An error travelling through C++ frames towards PostgreSQL.
class Error : public std::exception {
 public:
  // One of ours: a TK SQLSTATE with a lowercase message, an actionable detail
  // and, where it helps, a hint.
  Error(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : sqlstate_(sqlstate), message_(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {}
  // A PostgreSQL error caught by pg_call, rethrown unchanged at the boundary.
  explicit Error(ErrorData* caught)
      : sqlstate_(caught->sqlerrcode), message_(caught->message ? caught->message : ""), caught_(caught) {}

  const char* what() const noexcept override { return message_.c_str(); }
  int sqlstate() const { return sqlstate_; }
  // True once PostgreSQL has raised an error in this transaction: it can only
  // be aborted now, so the error must reach PostgreSQL, never be answered.
  bool transaction_failed() const { return caught_ != nullptr || transaction_failed_; }
  // An error of ours that replaces a PostgreSQL error caught on the way.
  Error& replacing_postgres_error() {
    transaction_failed_ = true;
    return *this;
  }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }
  ErrorData* caught() const { return caught_; }

 private:
  int sqlstate_;
  std::string message_, detail_, hint_;
  ErrorData* caught_ = nullptr;  // palloc'd in the caller's memory context
  bool transaction_failed_ = false;
};

// Runs fn(arg) under PG_TRY; a PostgreSQL error is copied and thrown as Error.
void run_guarded(void (*fn)(void*), void* arg);

// PostgreSQL -> C++ guard. fn must only call PostgreSQL and must not create
// C++ objects with destructors: a longjmp out of it would skip them.
template <typename Fn>
auto pg_call(Fn&& fn) {
  using Result = decltype(fn());
  if constexpr (std::is_void_v<Result>) {
    run_guarded([](void* f) { (*static_cast<std::remove_reference_t<Fn>*>(f))(); }, &fn);
  } else {
    static_assert(std::is_trivially_copyable_v<Result>, "pg_call returns plain values only");
    Result result{};
    auto store = [&] { result = fn(); };
    run_guarded([](void* f) { (*static_cast<decltype(store)*>(f))(); }, &store);
    return result;
  }
}

// C++ -> PostgreSQL guard, used by every SQL-callable function:
//   extern "C" Datum boxoffice_hold(PG_FUNCTION_ARGS) { return call_sql_function(fcinfo, hold); }
Datum call_sql_function(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo));

}  // namespace boxoffice
