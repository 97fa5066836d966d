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
#include "catalog/pg_type.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace boxoffice {
namespace {

// What a poll looks up by name, found once per backend instead of a dozen
// syscache probes per poll: relations by name, and a column's place in a
// table. The names are the string literals of this file and queue_ticket.cpp,
// so a pointer compare finds them. Any relcache invalidation of one of them
// (or of all: DROP EXTENSION, ALTER TABLE) forgets everything.
struct NameCache {
  static constexpr int size = 48;
  struct Named {
    const char* name;
    Oid oid;
  } relations[size];
  struct Column {
    Oid table;
    const char* name;
    int index;  // in the table's TupleDesc, or -1: not a column of it
  } columns[size];
  int n_relations = 0, n_columns = 0;
  Oid schema = InvalidOid;
  bool callback_registered = false;
};
NameCache names;

void forget_names(Datum, Oid relid) {
  bool ours = !OidIsValid(relid);
  for (int i = 0; i < names.n_relations && !ours; i++) ours = names.relations[i].oid == relid;
  if (!ours) return;
  names.n_relations = names.n_columns = 0;
  names.schema = InvalidOid;
}

// PostgreSQL only (inside pg_call), as the rest of this file.
Oid boxoffice_schema() {
  if (!names.callback_registered) {
    CacheRegisterRelcacheCallback(forget_names, 0);
    names.callback_registered = true;
  }
  if (!OidIsValid(names.schema)) names.schema = get_namespace_oid("boxoffice", false);
  return names.schema;
}

Oid relation_named(const char* name) {
  for (int i = 0; i < names.n_relations; i++)
    if (names.relations[i].name == name) return names.relations[i].oid;
  Oid oid = get_relname_relid(name, boxoffice_schema());
  if (!OidIsValid(oid)) {  // the schema may have been made again since it was cached
    names.schema = InvalidOid;
    oid = get_relname_relid(name, boxoffice_schema());
  }
  if (OidIsValid(oid) && names.n_relations < NameCache::size) names.relations[names.n_relations++] = {name, oid};
  return oid;
}

bool is_column(TupleDesc desc, int index, const char* name) {
  if (index < 0 || index >= desc->natts) return false;
  Form_pg_attribute a = TupleDescAttr(desc, index);
  return !a->attisdropped && strcmp(NameStr(a->attname), name) == 0;
}

// The place of column name in desc (of table), or -1. A cached place is
// checked against desc before it is used: a row copied before an ALTER TABLE
// that committed meanwhile has the old layout (its lock is released at once),
// and reading another column's bytes would misread them. A cached miss is
// trusted until the next invalidation (it only ever sends the lookup on to
// the next table of the standing).
int column_index(Oid table, TupleDesc desc, const char* name) {
  NameCache::Column* cached = nullptr;
  for (int i = 0; i < names.n_columns && !cached; i++)
    if (names.columns[i].table == table && names.columns[i].name == name) cached = &names.columns[i];
  if (cached && (cached->index < 0 || is_column(desc, cached->index, name))) return cached->index;
  int index = -1;
  for (int i = 0; i < desc->natts && index < 0; i++)
    if (is_column(desc, i, name)) index = i;
  if (cached) {
    cached->index = index;
    return index;
  }
  if (names.n_columns < NameCache::size) names.columns[names.n_columns++] = {table, name, index};
  return index;
}

// One row of a boxoffice table, found by its primary key (an int8 in the
// table's first column), copied into the current memory context.
struct Row {
  Oid table = InvalidOid;
  HeapTuple tuple = nullptr;
  TupleDesc desc = nullptr;
};

// PostgreSQL only (inside pg_call). The row whose int8 columns named in
// columns equal keys, through the unique index key_index.
Row row_by_keys(const char* table, const char* key_index, const char* const* columns, const int64* keys, int nkeys,
                Snapshot snapshot) {
  Row row;
  Oid table_id = relation_named(table);
  Oid index_id = relation_named(key_index);
  if (!OidIsValid(table_id) || !OidIsValid(index_id)) elog(ERROR, "boxoffice.%s or its key is missing", table);
  Relation rel = table_open(table_id, AccessShareLock);
  ScanKeyData scan_keys[2];
  Assert(nkeys <= 2);
  for (int i = 0; i < nkeys; i++) {
    int index = column_index(table_id, RelationGetDescr(rel), columns[i]);
    AttrNumber column = index < 0 ? InvalidAttrNumber : static_cast<AttrNumber>(index + 1);
    if (column == InvalidAttrNumber) elog(ERROR, "boxoffice.%s has no column %s", table, columns[i]);
    // a heap column number: systable_beginscan maps it to the index's
    ScanKeyInit(&scan_keys[i], column, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(keys[i]));
  }
  SysScanDesc scan = systable_beginscan(rel, index_id, true, snapshot, nkeys, scan_keys);
  HeapTuple found = systable_getnext(scan);
  if (HeapTupleIsValid(found)) {
    row.table = table_id;
    row.tuple = heap_copytuple(found);
    row.desc = CreateTupleDescCopy(RelationGetDescr(rel));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return row;
}

// The row of a table whose primary key, an int8 column named key, is value.
Row row_by_key(const char* table, const char* key_index, int64 value, Snapshot snapshot, const char* key) {
  return row_by_keys(table, key_index, &key, &value, 1, snapshot);
}

// The rows a standing is made of (the view _queue_standings). The
// performance is read only for what only it tells: when a pre-queue entry
// without a place will get one (its sales_opens_at).
struct StandingRows {
  Row entry, queue, performance;
};

// column: a string literal (NameCache compares pointers).
Datum column_of(const Row& row, const char* column, bool* found, bool* isnull) {
  int i = column_index(row.table, row.desc, column);
  *found = i >= 0 && i < row.desc->natts;
  return *found ? heap_getattr(row.tuple, i + 1, row.desc, isnull) : 0;
}

// A column of the standing, named as the view names it (a string literal).
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
    if (latest) CommandCounterIncrement();  // so that this transaction's last writes are seen
    Snapshot snapshot = latest ? GetLatestSnapshot() : GetActiveSnapshot();
    rows.entry = row_by_key("queue_entries", "queue_entries_pkey", entry_id, snapshot, "id");
    if (!rows.entry.tuple) return;
    bool isnull;
    bool found;
    int64 performance_id = DatumGetInt64(column_of(rows.entry, "performance_id", &found, &isnull));
    rows.queue = row_by_key("queues", "queues_pkey", performance_id, snapshot, "performance_id");
    bool prequeue = DatumGetBool(column_of(rows.entry, "prequeue", &found, &isnull));
    column_of(rows.entry, "line", &found, &isnull);
    if (prequeue && isnull) rows.performance = row_by_key("performances", "performances_pkey", performance_id, snapshot, "id");
  });
  if (!rows.entry.tuple || !rows.queue.tuple) return std::nullopt;
  return standing_from({column_of_rows, &rows});
}


void move_line(const SpiConnection&, int64_t performance_id) {
  static Plan advance("SELECT boxoffice._advance_queue($1)", {INT8OID});
  advance.run(Args().bigint(performance_id));
}

std::optional<int64_t> entry_of_user(int64_t performance_id, int64_t user_id) {
  struct Found {
    bool found;
    int64 id;
  };
  Found f = pg_call([&] {
    static const char* const columns[] = {"performance_id", "user_id"};
    const int64 keys[] = {performance_id, user_id};
    Row row = row_by_keys("queue_entries", "queue_entries_performance_id_user_id_key",
                          columns, keys, 2, GetLatestSnapshot());
    Found r{row.tuple != nullptr, 0};
    if (r.found) {
      bool found, isnull;
      r.id = DatumGetInt64(column_of(row, "id", &found, &isnull));
    }
    return r;
  });
  if (!f.found) return std::nullopt;
  return f.id;
}

}  // namespace boxoffice
