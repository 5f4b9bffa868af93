#include "syscalls/syscall_names.h"

#include <seccomp.h>

#include <cctype>
#include <cstdlib>

#include "event_abi.h"

namespace procsql {

namespace {

// The build's own ABI (the kernel procsql runs on is the one it was built for).
const char* native_name() {
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return nullptr;
#endif
}

} // namespace

const char* syscall_abi_name(uint32_t abi) {
	switch (abi) {
	case PROCSQL_SC_NATIVE: return native_name();
#if defined(__x86_64__)
	case PROCSQL_SC_COMPAT: return "x86";
	case PROCSQL_SC_X32: return "x32";
#endif
	default: return nullptr;
	}
}

std::string syscall_name(uint32_t abi, uint32_t nr) {
	const char* arch = syscall_abi_name(abi);
	if (!arch) {
		return {};
	}
	const uint32_t token = seccomp_arch_resolve_name(arch);
	if (token == 0) {
		return {};
	}
	// libseccomp numbers x32 calls with their __X32_SYSCALL_BIT, as the
	// kernel's own tables do; the kernel program stores them without it.
	const int num = int(abi == PROCSQL_SC_X32 ? (nr | 0x40000000u) : nr);
	char* name = seccomp_syscall_resolve_num_arch(token, num);
	if (!name) {
		return {};
	}
	std::string out(name);
	std::free(name);
	return out;
}

std::string oci_arch_token(const std::string& arch) {
	if (arch.empty()) {
		return {};
	}
	std::string token = "SCMP_ARCH_";
	for (char ch : arch) {
		if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
			return {};
		}
		token += char(std::toupper(static_cast<unsigned char>(ch)));
	}
	return token;
}

} // namespace procsql
