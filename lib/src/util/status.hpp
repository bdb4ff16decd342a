// Names and descriptions of the fwm_status codes, shared by the trampolines
// and the result buffers.
#pragma once

namespace fwm::util {

// "FWM_ERR_TIMEOUT", or "FWM_UNKNOWN" for a code this library does not know.
const char* status_name(int status) noexcept;
// One sentence about the status in general terms.
const char* status_text(int status) noexcept;

} // namespace fwm::util
