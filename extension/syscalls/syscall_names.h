// Syscall numbers to the names libseccomp gives them (what scmp_sys_resolver
// prints and what runc, Docker and Podman look names up with), per ABI: a
// 32-bit x86 call's number means another call than the same native number.
#pragma once

#include <cstdint>
#include <string>

namespace procsql {

// libseccomp's name for the ABI (enum procsql_sc_arch): "x86_64", "x86",
// "x32" on x86_64 ("aarch64", ... natively elsewhere); nullptr when unknown.
const char* syscall_abi_name(uint32_t abi);

// The call's name on that ABI; "" when libseccomp does not know the number.
std::string syscall_name(uint32_t abi, uint32_t nr);

// The OCI / Docker architecture token for libseccomp's name: "x86_64" ->
// "SCMP_ARCH_X86_64"; "" for a name that has none.
std::string oci_arch_token(const std::string& arch);

} // namespace procsql
