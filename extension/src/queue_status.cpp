// queue_status(token, user_id): where a waiting-room entry stands. It is the
// busiest call of an on-sale (everyone waiting polls), so it reads its entry,
// its queue and its performance by primary key straight from their indexes,
// parsing and planning nothing, and computes the ticket in C++
// (queue_ticket.cpp). Only when the line is due to move does it run SQL:
// _advance_queue, then the same reads again.
#include <optional>
#include <string>

#include "arguments.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "identity.hpp"
#include "queue_ticket.hpp"
#include "spi.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace boxoffice {
namespace {

// One row of a boxoffice table, found by its primary key (an int8 in the
// table's first column), copied into the current memory context.
struct Row {
  HeapTuple tuple = nullptr;
  TupleDesc desc = nullptr;
};

// PostgreSQL only (inside pg_call).
Row row_by_key(Oid schema, const char* table, const char* key_index, int64 key, Snapshot snapshot) {
  Row row;
  Oid table_id = get_relname_relid(table, schema);
  Oid index_id = get_relname_relid(key_index, schema);
  if (!OidIsValid(table_id) || !OidIsValid(index_id)) elog(ERROR, "boxoffice.%s or its key is missing", table);
  Relation rel = table_open(table_id, AccessShareLock);
  ScanKeyData scan_key;
  ScanKeyInit(&scan_key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(key));
  SysScanDesc scan = systable_beginscan(rel, index_id, true, snapshot, 1, &scan_key);
  HeapTuple found = systable_getnext(scan);
  if (HeapTupleIsValid(found)) {
    row.tuple = heap_copytuple(found);
    row.desc = CreateTupleDescCopy(RelationGetDescr(rel));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return row;
}

// The rows a standing is made of (the view _queue_standings). The
// performance is read only for what only it tells: when a pre-queue entry
// without a place will get one (its sales_opens_at).
struct StandingRows {
  Row entry, queue, performance;
};

Datum column_of(const Row& row, const char* column, bool* found, bool* isnull) {
  for (int i = 0; i < row.desc->natts; i++) {
    Form_pg_attribute a = TupleDescAttr(row.desc, i);
    if (!a->attisdropped && strcmp(NameStr(a->attname), column) == 0) {
      *found = true;
      return heap_getattr(row.tuple, i + 1, row.desc, isnull);
    }
  }
  *found = false;
  return 0;
}

// A column of the standing, named as the view names it.
Datum column_of_rows(void* source, const char* column, bool* isnull) {
  auto* rows = static_cast<StandingRows*>(source);
  bool found = false;
  Datum d;
  if (strcmp(column, "entry_id") == 0) d = column_of(rows->entry, "id", &found, isnull);
  else if (strcmp(column, "sales_opens_at") == 0) {
    found = true;
    *isnull = rows->performance.tuple == nullptr;
    d = *isnull ? 0 : column_of(rows->performance, column, &found, isnull);
  }
  else {
    d = column_of(rows->entry, column, &found, isnull);
    if (!found) d = column_of(rows->queue, column, &found, isnull);
  }
  if (!found) elog(ERROR, "queue standing without %s", column);
  return d;
}

// Where entry entry_id stands, as of the statement's snapshot or (latest) of
// now, with this transaction's writes; nullopt if it is not there.
std::optional<QueueStanding> read_standing(int64_t entry_id, bool latest) {
  StandingRows rows;
  pg_call([&] {
    Oid schema = get_namespace_oid("boxoffice", false);
    if (latest) CommandCounterIncrement();  // so that this transaction's last writes are seen
    Snapshot snapshot = latest ? GetLatestSnapshot() : GetActiveSnapshot();
    rows.entry = row_by_key(schema, "queue_entries", "queue_entries_pkey", entry_id, snapshot);
    if (!rows.entry.tuple) return;
    bool isnull;
    bool found;
    int64 performance_id = DatumGetInt64(column_of(rows.entry, "performance_id", &found, &isnull));
    rows.queue = row_by_key(schema, "queues", "queues_pkey", performance_id, snapshot);
    bool prequeue = DatumGetBool(column_of(rows.entry, "prequeue", &found, &isnull));
    column_of(rows.entry, "line", &found, &isnull);
    if (prequeue && isnull) rows.performance = row_by_key(schema, "performances", "performances_pkey", performance_id, snapshot);
  });
  if (!rows.entry.tuple || !rows.queue.tuple) return std::nullopt;
  return standing_from({column_of_rows, &rows});
}

Datum queue_status(FunctionCallInfo fcinfo) {
  std::optional<std::string> token = arg_text(fcinfo, 0);
  std::optional<int64_t> named_user = arg_int64(fcinfo, 1);
  std::optional<int64_t> user = acting_user(named_user);
  std::optional<int64_t> entry_id = token ? token_entry_id(*token) : std::nullopt;
  std::optional<QueueStanding> s = entry_id ? read_standing(*entry_id, false) : std::nullopt;
  if (!s || !user || s->user_id != *user || queue_token(s->entry_id, s->token_secret) != *token) {
    // the lookup's error, and its words, are _entry_of's (waiting_room.sql)
    SpiConnection spi;
    static Plan lookup("SELECT boxoffice._entry_of($1, $2)", {TEXTOID, INT8OID});
    lookup.run(Args().string(token ? &*token : nullptr).bigint(named_user));
    throw Error(ERRCODE_INTERNAL_ERROR, "queue entry found by SQL but not by queue_status");
  }
  TimestampTz now = GetCurrentTimestamp();
  if (s->state == EntryState::waiting && queue_due(s->advanced_at, now)) {
    {
      SpiConnection spi;
      static Plan advance("SELECT boxoffice._advance_queue($1)", {INT8OID});
      advance.run(Args().bigint(s->performance_id));
    }
    s = read_standing(*entry_id, true);  // with what the advance just wrote
    if (!s) throw Error(ERRCODE_INTERNAL_ERROR, "queue entry gone while its line moved");
    now = GetCurrentTimestamp();
  }
  return queue_ticket_datum(fcinfo, *s, now);
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_queue_status);
Datum boxoffice_queue_status(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_status); }
}
