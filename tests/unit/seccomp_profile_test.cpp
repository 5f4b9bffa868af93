// The pure parts of syscall_usage: PROCSQL_SYSCALLS parsing and choosing,
// libseccomp's names per ABI, and the OCI seccomp profile
// procsql_seccomp_profile() returns (its fields, options, determinism).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "event_abi.h"
#include "syscalls/seccomp_profile.h"
#include "syscalls/syscall_names.h"
#include "syscalls/syscall_selection.h"

namespace procsql {
namespace {

TEST(SyscallSelection, ParsesPrefixesAllAndNothing) {
	SyscallSelection s;
	std::string error;
	ASSERT_TRUE(parse_syscall_selection("", &s, &error));
	EXPECT_TRUE(s.empty());
	ASSERT_TRUE(parse_syscall_selection(" 3f2a , web-,3f2a,,", &s, &error));
	EXPECT_FALSE(s.all);
	EXPECT_EQ(s.prefixes, (std::vector<std::string>{"3f2a", "web-"}));
	EXPECT_EQ(s.text(), "3f2a,web-");
	ASSERT_TRUE(parse_syscall_selection("all", &s, &error));
	EXPECT_TRUE(s.all);
	EXPECT_EQ(s.text(), "all");
}

TEST(SyscallSelection, RefusesBadValuesWithOneLine) {
	SyscallSelection s;
	const std::string too_long(129, 'a'); // named: a temporary's c_str() would dangle in the list
	for (const char* bad : {"a/b", "../x", "..", "x y", "name\n", "all,abc", too_long.c_str()}) {
		std::string error;
		EXPECT_FALSE(parse_syscall_selection(bad, &s, &error)) << bad;
		EXPECT_NE(error.find("PROCSQL_SYSCALLS"), std::string::npos) << error;
		EXPECT_EQ(error.find('\n'), std::string::npos) << error;
	}
}

TEST(SyscallSelection, ChoosesContainersByPrefixNeverTheHost) {
	SyscallSelection s;
	std::string error;
	ASSERT_TRUE(parse_syscall_selection("3f2a,web-", &s, &error));
	EXPECT_TRUE(s.chooses("3f2a0000"));
	EXPECT_TRUE(s.chooses("web-1"));
	EXPECT_FALSE(s.chooses("3f2"));
	EXPECT_FALSE(s.chooses("db-1"));
	EXPECT_FALSE(s.chooses(""));
	ASSERT_TRUE(parse_syscall_selection("all", &s, &error));
	EXPECT_TRUE(s.chooses("anything"));
	EXPECT_FALSE(s.chooses("")) << "the host is never recorded";
}

TEST(SyscallNames, AreLibseccompsPerAbi) {
#if defined(__x86_64__)
	EXPECT_STREQ(syscall_abi_name(PROCSQL_SC_NATIVE), "x86_64");
	EXPECT_STREQ(syscall_abi_name(PROCSQL_SC_COMPAT), "x86");
	EXPECT_STREQ(syscall_abi_name(PROCSQL_SC_X32), "x32");
	EXPECT_EQ(syscall_name(PROCSQL_SC_NATIVE, 110), "getppid");
	EXPECT_EQ(syscall_name(PROCSQL_SC_COMPAT, 64), "getppid"); // ia32's own number
	EXPECT_EQ(syscall_name(PROCSQL_SC_COMPAT, 110), "iopl");
	EXPECT_EQ(syscall_name(PROCSQL_SC_X32, 39), "getpid");
	EXPECT_EQ(syscall_name(PROCSQL_SC_NATIVE, 100000), "");
#endif
	EXPECT_EQ(oci_arch_token("x86_64"), "SCMP_ARCH_X86_64");
	EXPECT_EQ(oci_arch_token("x86"), "SCMP_ARCH_X86");
	EXPECT_EQ(oci_arch_token("aarch64"), "SCMP_ARCH_AARCH64");
	EXPECT_EQ(oci_arch_token(""), "");
	EXPECT_EQ(oci_arch_token("x\"86"), "");
}

TEST(SeccompProfileOptions, ParseAndRefuse) {
	SeccompProfileOptions o;
	std::string error;
	ASSERT_TRUE(parse_seccomp_profile_options("", &o, &error));
	EXPECT_EQ(o.default_action, SeccompProfileOptions::Default::eperm);
	ASSERT_TRUE(parse_seccomp_profile_options("enosys", &o, &error));
	EXPECT_EQ(o.default_action, SeccompProfileOptions::Default::enosys);
	ASSERT_TRUE(parse_seccomp_profile_options(" SCMP_ACT_LOG ", &o, &error));
	EXPECT_EQ(o.default_action, SeccompProfileOptions::Default::log);
	EXPECT_FALSE(parse_seccomp_profile_options("EBADF", &o, &error));
	EXPECT_EQ(error,
	          "procsql_seccomp_profile: options must be 'EPERM' (the default), 'ENOSYS' or 'SCMP_ACT_LOG', got 'EBADF'");
}

TEST(SeccompProfile, JsonIsTheOciShapeSortedAndWithTheRuntimesCalls) {
	SeccompProfile p;
	std::string error;
	ASSERT_TRUE(p.add("getdents64", "x86_64", &error));
	ASSERT_TRUE(p.add("wait4", "x86_64", &error));
	ASSERT_TRUE(p.add("getppid", "x86", &error));
	ASSERT_TRUE(p.add("", "x86_64", &error)); // a number without a name: only its ABI
	const std::string json = p.json(SeccompProfileOptions{});
	EXPECT_EQ(json.rfind("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	                     "\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[",
	                     0),
	          0u)
	    << json;
	EXPECT_NE(json.find("\"getdents64\""), std::string::npos);
	EXPECT_NE(json.find("\"getppid\""), std::string::npos);
	EXPECT_NE(json.find("\"wait4\""), std::string::npos);
	EXPECT_EQ(json.find("\"\""), std::string::npos) << "no empty name";
	for (const std::string& n : runtime_syscalls()) {
		EXPECT_NE(json.find("\"" + n + "\""), std::string::npos) << n;
	}
	EXPECT_TRUE(std::is_sorted(runtime_syscalls().begin(), runtime_syscalls().end()));
	EXPECT_EQ(json.substr(json.size() - 30), "],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	// The same rows in another order give the same bytes.
	SeccompProfile q;
	ASSERT_TRUE(q.add("getppid", "x86", &error));
	ASSERT_TRUE(q.add("wait4", "x86_64", &error));
	ASSERT_TRUE(q.add("getdents64", "x86_64", &error));
	EXPECT_EQ(q.json(SeccompProfileOptions{}), json);
}

TEST(SeccompProfile, DefaultActions) {
	SeccompProfile p;
	std::string error;
	ASSERT_TRUE(p.add("read", "x86_64", &error));
	SeccompProfileOptions o;
	o.default_action = SeccompProfileOptions::Default::enosys;
	EXPECT_NE(p.json(o).find("\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"), std::string::npos);
	o.default_action = SeccompProfileOptions::Default::log;
	const std::string log = p.json(o);
	EXPECT_NE(log.find("\"defaultAction\":\"SCMP_ACT_LOG\",\"architectures\""), std::string::npos) << log;
	EXPECT_EQ(log.find("defaultErrnoRet"), std::string::npos);
}

TEST(SeccompProfile, RefusesAnUnknownArch) {
	SeccompProfile p;
	std::string error;
	EXPECT_FALSE(p.add("read", "vax", &error));
	EXPECT_NE(error.find("the arch 'vax' has no seccomp architecture name"), std::string::npos);
}

} // namespace
} // namespace procsql
