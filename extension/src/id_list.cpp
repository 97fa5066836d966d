#include "id_list.hpp"

namespace boxoffice {

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); i++) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out;
}

}  // namespace boxoffice
