#include "guard.hpp"

#include <cstdio>
#include <cstring>
#include <new>

extern "C" {
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace boxoffice {

void run_guarded(void (*fn)(void*), void* arg) {
  MemoryContext caller_context = CurrentMemoryContext;
  ErrorData* volatile caught = nullptr;
  PG_TRY();
  {
    fn(arg);
  }
  PG_CATCH();
  {
    // Copy the error out of ErrorContext; the transaction will be aborted
    // by the rethrow at the boundary, which releases whatever fn held.
    MemoryContextSwitchTo(caller_context);
    caught = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (caught != nullptr) throw Error(caught);  // never throw inside PG_TRY
}

namespace {
// Static buffers: raising must not allocate once the C++ frames are gone.
char message_buf[1024], detail_buf[2048], hint_buf[1024];

void copy_out(const std::string& from, char* to, size_t size) {
  size_t n = from.size() < size - 1 ? from.size() : size - 1;
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}
}  // namespace

Datum call_sql_function(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo)) {
  int sqlstate = ERRCODE_INTERNAL_ERROR;
  ErrorData* caught = nullptr;
  try {
    return body(fcinfo);
  } catch (const Error& e) {
    sqlstate = e.sqlstate();
    caught = e.caught();
    copy_out(e.message(), message_buf, sizeof message_buf);
    copy_out(e.detail(), detail_buf, sizeof detail_buf);
    copy_out(e.hint(), hint_buf, sizeof hint_buf);
  } catch (const std::bad_alloc&) {
    sqlstate = ERRCODE_OUT_OF_MEMORY;
    copy_out("out of memory in boxoffice", message_buf, sizeof message_buf);
    detail_buf[0] = hint_buf[0] = '\0';
  } catch (const std::exception& e) {
    // no allocation here: a throw inside a catch block would terminate the backend
    snprintf(message_buf, sizeof message_buf, "internal error in boxoffice: %s", e.what());
    detail_buf[0] = hint_buf[0] = '\0';
  } catch (...) {
    copy_out("internal error in boxoffice", message_buf, sizeof message_buf);
    detail_buf[0] = hint_buf[0] = '\0';
  }
  // Every C++ destructor has run by now: it is safe to longjmp.
  if (caught != nullptr) ReThrowError(caught);
  ereport(ERROR, (errcode(sqlstate), errmsg_internal("%s", message_buf),
                  detail_buf[0] ? errdetail_internal("%s", detail_buf) : 0,
                  hint_buf[0] ? errhint("%s", hint_buf) : 0));
  pg_unreachable();
}

}  // namespace boxoffice
