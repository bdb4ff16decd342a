#include "util/model_tag.hpp"

namespace fwm::util {

std::string_view model_tag_of(std::string_view base_model) noexcept
{
    const auto slash = base_model.rfind('/');
    return slash == std::string_view::npos ? base_model : base_model.substr(slash + 1);
}

} // namespace fwm::util
