// Who writes seat claims (extension/sql/claims.sql). The engine writes a
// reservation and its claims in one statement, and while it does, the
// triggers stand aside. Any other write to a reservation rewrites its claims
// through the trigger, and nothing else may write a claim at all.
#pragma once

#include <cstdint>

#include "spi.hpp"

namespace boxoffice {

// Runs one of the engine's statements, which write reservations together
// with their claims: their claim writes are let through, and the
// reservations they write keep the claims the same statement writes.
Result run_writing_claims(Plan& plan, const Args& args, long max_rows = 0);

// For _PG_init: forgets, when a transaction aborts, that a statement was
// writing claims (a safety net: the scopes end before any abort anyway).
void reset_claim_writers_on_abort();

}  // namespace boxoffice
