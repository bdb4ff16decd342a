// The `model` tag's value, derived from a base model's resource name, for
// the metrics (mapping/) and for the inventory, usage and costs (fleet/,
// which hands it to the shim in the fleet report): one rule, one home.
#pragma once

#include <string_view>

namespace fwm::util {

// "accounts/fireworks/models/llama-v3p1-8b" -> "llama-v3p1-8b"; a name
// without '/' is its own value; "" (no model tag) when the part after the
// last '/' is empty: a name ending in '/' names no model, and is not guessed.
std::string_view model_tag_of(std::string_view base_model) noexcept;

} // namespace fwm::util
