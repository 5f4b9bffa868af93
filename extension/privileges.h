// Names for the privilege and file-system columns: capability numbers
// (linux/capability.h) and file-system magic numbers (linux/magic.h).
#pragma once

#include <cstdint>
#include <string>

namespace procsql {

// "CAP_CHOWN|CAP_SYS_ADMIN" for a capability set (bit N = capability N);
// "" for 0. Bits this build has no name for read "CAP_N".
std::string caps_text(uint64_t caps);

// The name of a file system by its statfs f_type ("ext4", "overlay",
// "tmpfs"); "0x..." for one this build does not name.
std::string fs_type_name(uint64_t magic);

// The overlay file system's magic number (OVERLAYFS_SUPER_MAGIC).
constexpr uint64_t kOverlayMagic = 0x794c7630;

} // namespace procsql
