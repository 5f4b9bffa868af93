// Why a load failed, told apart on libbpf logs captured from real kernels
// (tests/unit/fixtures/bpf/: Debian 12's 6.1 refusing an older build of
// procsql_exec, and 6.1 booted with lockdown=confidentiality).
#include "sources/bpf/bpf_load_error.h"

#include <cerrno>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using namespace procsql;

namespace {

std::string fixture(const std::string& name) {
	std::string f = __FILE__;
	std::ifstream in(f.substr(0, f.rfind('/')) + "/fixtures/bpf/" + name, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

BpfLoadFacts facts(int err, const std::string& log) {
	BpfLoadFacts f;
	f.err = err;
	f.libbpf_log = log;
	f.stage = "load";
	f.lockdown = "none";
	return f;
}

} // namespace

TEST(BpfLoadError, FixturesAreThere) {
	EXPECT_NE(fixture("verifier_refusal_6.1.txt").find("BEGIN PROG LOAD LOG"), std::string::npos);
	EXPECT_NE(fixture("lockdown_confidentiality_6.1.txt").find("BEGIN PROG LOAD LOG"), std::string::npos);
}

TEST(BpfLoadError, VerdictIsTheClosingErrorLines) {
	VerifierVerdict v;
	ASSERT_TRUE(last_verifier_verdict(fixture("verifier_refusal_6.1.txt"), &v));
	EXPECT_EQ(v.program, "procsql_exec");
	EXPECT_EQ(v.last_lines, "invalid access to map value, value_size=33048 off=4280 size=262144; "
	                        "R1 min value is outside of the allowed memory range");
}

TEST(BpfLoadError, RootRefusedByTheVerifierIsNotToldItNeedsRoot) {
	// EACCES is what 6.1 returned; the process had every capability.
	const BpfLoadError e = classify_bpf_load_error(facts(EACCES, fixture("verifier_refusal_6.1.txt")));
	EXPECT_EQ(e.kind, BpfLoadErrorKind::verifier);
	EXPECT_EQ(e.message.find("root"), std::string::npos) << e.message;
	EXPECT_NE(e.message.find("verifier refused the program procsql_exec"), std::string::npos) << e.message;
	EXPECT_NE(e.message.find("R1 min value is outside of the allowed memory range"), std::string::npos);
	EXPECT_NE(e.message.find("PROCSQL_DEBUG=1"), std::string::npos);
	EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

TEST(BpfLoadError, MissingCapabilitiesSayRoot) {
	BpfLoadFacts f = facts(EPERM, "");
	f.has_capabilities = false;
	const BpfLoadError e = classify_bpf_load_error(f);
	EXPECT_EQ(e.kind, BpfLoadErrorKind::privileges);
	EXPECT_NE(e.message.find("needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"), std::string::npos);
}

TEST(BpfLoadError, LockdownIsNamed) {
	BpfLoadFacts f = facts(EINVAL, fixture("lockdown_confidentiality_6.1.txt"));
	f.lockdown = "confidentiality";
	const BpfLoadError e = classify_bpf_load_error(f);
	EXPECT_EQ(e.kind, BpfLoadErrorKind::lockdown);
	EXPECT_NE(e.message.find("lockdown mode 'confidentiality'"), std::string::npos) << e.message;
}

TEST(BpfLoadError, UnknownHelperWithoutLockdownInfoIsAMissingHelperThatMentionsLockdown) {
	BpfLoadFacts f = facts(EINVAL, fixture("lockdown_confidentiality_6.1.txt"));
	f.lockdown = ""; // securityfs not mounted
	const BpfLoadError e = classify_bpf_load_error(f);
	EXPECT_EQ(e.kind, BpfLoadErrorKind::missing_helper);
	EXPECT_NE(e.message.find("unknown func bpf_probe_read"), std::string::npos) << e.message;
	EXPECT_NE(e.message.find("lockdown"), std::string::npos) << e.message;
}

TEST(BpfLoadError, MissingHookFromLibbpf) {
	const BpfLoadError e = classify_bpf_load_error(facts(
	    ESRCH, "libbpf: prog 'procsql_exec': failed to find kernel BTF type ID of 'sched_process_exec': -3\n"
	           "libbpf: prog 'procsql_exec': failed to prepare load attributes: -3\n"));
	EXPECT_EQ(e.kind, BpfLoadErrorKind::missing_hook);
	EXPECT_NE(e.message.find("lacks a hook"), std::string::npos) << e.message;
	EXPECT_NE(e.message.find("failed to prepare load attributes"), std::string::npos) << e.message;
}

TEST(BpfLoadError, OtherKeepsErrnoAndLibbpfsLastLine) {
	const BpfLoadError e = classify_bpf_load_error(facts(ENOMEM, "libbpf: map 'x': failed to create: -12\n"));
	EXPECT_EQ(e.kind, BpfLoadErrorKind::other);
	EXPECT_NE(e.message.find("Cannot allocate memory"), std::string::npos) << e.message;
	EXPECT_NE(e.message.find("map 'x': failed to create"), std::string::npos) << e.message;
}

TEST(BpfLoadError, CutLogStillGivesItsTail) {
	VerifierVerdict v;
	ASSERT_TRUE(last_verifier_verdict("libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n12: (85) call x\nR2 bad\n", &v));
	EXPECT_EQ(v.program, "p");
	EXPECT_EQ(v.last_lines, "R2 bad");
	EXPECT_FALSE(last_verifier_verdict("no log at all", &v));
}
