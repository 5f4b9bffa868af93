// The rows procsqld publishes whole for attached readers (SnapshotStore
// payloads): the live processes, container_map, syscall_usage and procsql_stats. Encoded
// and decoded here, next to nothing else, so both sides share one format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "containers/container_map.h"
#include "process_snapshot.h"
#include "sources/source.h"
#include "syscalls/syscall_usage_row.h"

namespace procsql {

// Bump with any change below (it is part of the snapshot stores' schema hash).
constexpr uint64_t kPublishedRowsVersion = 1;

std::string encode_processes(const std::vector<LiveProcess>& processes, const std::vector<std::string>& containers);
bool decode_processes(const std::string& payload, uint64_t rows, std::vector<LiveProcess>* processes,
                      std::vector<std::string>* containers, std::string* error);

std::string encode_containers(const std::vector<ContainerEntry>& entries);
bool decode_containers(const std::string& payload, uint64_t rows, std::vector<ContainerEntry>* out,
                       std::string* error);

std::string encode_syscall_usage(const std::vector<SyscallUsageRow>& rows);
bool decode_syscall_usage(const std::string& payload, uint64_t rows, std::vector<SyscallUsageRow>* out,
                          std::string* error);

std::string encode_stats(const std::vector<StatRow>& rows);
bool decode_stats(const std::string& payload, uint64_t rows, std::vector<StatRow>* out, std::string* error);

} // namespace procsql
