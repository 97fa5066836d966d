// Ids as error details name them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace boxoffice {

// "12, 15, 17"
std::string join_ids(const std::vector<int64_t>& ids);

}  // namespace boxoffice
