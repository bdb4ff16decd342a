// Which tag names a user may choose (annotation_tags, rename_labels): one
// rule for the inventory (fleet/) and the metrics (mapping/).
#pragma once

#include <string_view>

namespace fwm::util {

// Lower-case letters, digits, '_', '.', '-' and '/', starting with a letter,
// at most 100 bytes: a name every Datadog query takes as it is.
bool tag_name(std::string_view s) noexcept;

// Names a user's tag must not take, and labels rename_labels must not
// rename: Datadog's reserved and generic ones, and those the check writes,
// joins on or queries itself (on the metrics, or from the inventory).
bool reserved_tag(std::string_view name) noexcept;

} // namespace fwm::util
