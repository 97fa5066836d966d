// The reads behind a standing: an entry, its queue and (when needed) its
// performance, by primary key straight from their indexes, no SQL.
#include "queue_standing.hpp"

#include <cstring>

#include "guard.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
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

}  // namespace

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


}  // namespace boxoffice
