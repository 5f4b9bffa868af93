// procsqld's control directory for syscall_usage: STATE_DIR/record/, root's
// only (0700), one empty file per container id prefix recorded, or one named
// `all`. procsqld writes PROCSQL_SYSCALLS there when it starts and watches it;
// `procsql record start|stop` (root) adds and removes files. Attached
// readers never write: they read what procsqld publishes.
#pragma once

#include <string>

#include "syscalls/syscall_selection.h"

namespace procsql {

std::string record_dir(const std::string& state_dir);

// The selection the directory holds now. False with a reason when it cannot
// be read (missing: procsqld is not running there).
bool read_record_dir(const std::string& state_dir, SyscallSelection* out, std::string* error);

// procsqld at start: makes the directory (0700, root) and makes it hold `s`.
bool write_record_dir(const std::string& state_dir, const SyscallSelection& s, std::string* error);

// `procsql record start|stop CONTAINER`: adds or removes one entry ("all" or
// a container id prefix). Root only; false with a one-line reason.
bool change_record_dir(const std::string& state_dir, bool start, const std::string& container, std::string* error);

} // namespace procsql
