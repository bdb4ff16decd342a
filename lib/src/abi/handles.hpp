// Client handles are tokens, not pointers: the library looks each one up in
// a table, so that a handle freed by one thread while another collects on
// it, or freed twice, or never valid, is refused instead of read after free.
// The entry lives on while a call that found it still runs.
#pragma once

#include <memory>
#include <string>

#include "collector/collector.hpp"
#include "fwm/fwm.h"

namespace fwm::abi {

struct ClientEntry {
    std::shared_ptr<collector::Collector> collector; // null when creation failed
    std::string message;                             // why creation failed
};

// A new token for `entry`.
fwm_client* add_client(std::shared_ptr<ClientEntry> entry);
// The entry of a token, or null when it is unknown (freed or made up).
std::shared_ptr<ClientEntry> find_client(const fwm_client* token);
// Removes and returns the entry of a token (null when unknown).
std::shared_ptr<ClientEntry> remove_client(const fwm_client* token);

} // namespace fwm::abi
