// boxoffice's configuration parameters (GUCs), registered at load time.
#pragma once

namespace boxoffice::settings {

// boxoffice.sweep_batch_size: holds expired per statement by sweep().
extern int sweep_batch_size;
// boxoffice.queue_pause: least time between two advances of a waiting room (waiting_room.sql reads it).
extern int queue_pause_ms;

// boxoffice.durable_holds: when off, a transaction whose first write is a hold
// commits without waiting for its WAL flush (synchronous_commit = off for
// that transaction): a crash may forget the last fraction of a second of
// holds, never a confirmation or a cancellation, which always wait for
// durability, even later in the same transaction. Releases never wait (see
// release_cancel.cpp): a forgotten release only keeps seats held until expiry.
extern bool durable_holds;

// True once the current transaction has written anything (it has an xid).
bool transaction_has_written();

// Sets synchronous_commit for the rest of the current transaction: off for a
// release that is the transaction's first write, and for such a hold when
// durable_holds is off; at least on, always, for confirm and cancel (they
// change what a buyer owns).
void commit_durably(bool durable);

// Gives the transaction back the synchronous_commit it had before an earlier
// commit_durably(false) in it, if any: a durable hold after a release in the
// same transaction waits for its flush.
void undo_weakening();

}  // namespace boxoffice::settings
