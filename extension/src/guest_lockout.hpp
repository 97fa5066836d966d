// The lockout of guest look-ups by phone number (see guest_lockout.cpp).
#pragma once

namespace boxoffice {

// For _PG_init while shared_preload_libraries loads: reserves the shared
// memory that counts wrong PINs.
void reserve_guest_lockout();

}  // namespace boxoffice
