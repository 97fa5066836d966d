// boxoffice's own SQLSTATEs, class TK ("ticket"), by name: the constants are
// generated from the catalogue, the view boxoffice.error_codes
// (extension/sql/errors.sql), so C++ cannot name a code the catalogue lacks.
#pragma once

extern "C" {
#include "postgres.h"
}

#include "sqlstates.hpp"  // build/generated, from scripts/error-codes.pl
