// The records of the kernel's task iterator (bpf/processes.bpf.h), decoded
// into the processes table's rows (process_snapshot.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "clock.h"
#include "process_snapshot.h"

namespace procsql {

// Decodes the iterator's records (validated like every kernel record: a
// malformed one ends decoding with a reason, never a read past its end).
bool decode_process_records(const char* data, size_t size, const BootClock& clock,
                            std::vector<LiveProcess>* out, std::string* why);

} // namespace procsql
