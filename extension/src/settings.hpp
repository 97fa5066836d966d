// boxoffice's configuration parameters (GUCs), registered at load time.
#pragma once

namespace boxoffice::settings {

// boxoffice.sweep_batch_size: holds expired per statement by sweep().
extern int sweep_batch_size;

}  // namespace boxoffice::settings
