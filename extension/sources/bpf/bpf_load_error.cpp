#include "sources/bpf/bpf_load_error.h"

#include <cstring>
#include <fstream>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace procsql {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
	std::vector<std::string> lines;
	size_t start = 0;
	while (start <= text.size()) {
		size_t end = text.find('\n', start);
		if (end == std::string::npos) {
			end = text.size();
		}
		lines.push_back(text.substr(start, end - start));
		start = end + 1;
	}
	return lines;
}

bool starts_with(const std::string& s, const char* prefix) { return s.compare(0, std::strlen(prefix), prefix) == 0; }

// A line of the verifier's instruction trace ("959: (85) call ...", "; source",
// "from 12 to 40: ..."), as opposed to its verdict.
bool is_trace_line(const std::string& line) {
	size_t i = 0;
	while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
		i++;
	}
	if (i > 0 && i < line.size() && line[i] == ':') {
		return true;
	}
	return starts_with(line, ";") || starts_with(line, "from ") || starts_with(line, "mark_precise") ||
	       starts_with(line, "last_idx") || starts_with(line, "regs=") || starts_with(line, "parent ");
}

// Statistics the verifier prints after its verdict.
bool is_statistics_line(const std::string& line) {
	return line.empty() || starts_with(line, "processed ") || starts_with(line, "verification time") ||
	       starts_with(line, "stack depth") || starts_with(line, "insn ") || starts_with(line, "-- END");
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

} // namespace

std::string last_libbpf_message(const std::string& log) {
	const std::vector<std::string> lines = split_lines(log);
	for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
		std::string s = *it;
		while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) {
			s.pop_back();
		}
		if (!s.empty()) {
			return s;
		}
	}
	return "";
}

bool last_verifier_verdict(const std::string& log, VerifierVerdict* out) {
	static const char kBegin[] = "-- BEGIN PROG LOAD LOG --";
	const size_t begin = log.rfind(kBegin);
	if (begin == std::string::npos) {
		return false;
	}
	// "libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --"
	const size_t line_start = log.rfind('\n', begin) == std::string::npos ? 0 : log.rfind('\n', begin) + 1;
	const std::string head = log.substr(line_start, begin - line_start);
	const size_t q1 = head.find("prog '");
	if (q1 != std::string::npos) {
		const size_t q2 = head.find('\'', q1 + 6);
		if (q2 != std::string::npos) {
			out->program = head.substr(q1 + 6, q2 - q1 - 6);
		}
	}
	size_t body = begin + sizeof(kBegin) - 1;
	size_t end = log.find("-- END PROG LOAD LOG --", body);
	if (end == std::string::npos) {
		end = log.size(); // a log cut short still has its tail
	}
	std::vector<std::string> lines = split_lines(log.substr(body, end - body));
	while (!lines.empty() && is_statistics_line(lines.back())) {
		lines.pop_back();
	}
	std::vector<std::string> verdict;
	for (auto it = lines.rbegin(); it != lines.rend() && verdict.size() < 3; ++it) {
		if (is_trace_line(*it)) {
			break;
		}
		if (!it->empty()) {
			verdict.insert(verdict.begin(), *it);
		}
	}
	out->last_lines.clear();
	for (const std::string& v : verdict) {
		out->last_lines += (out->last_lines.empty() ? "" : "; ") + v;
	}
	return !out->last_lines.empty();
}

BpfLoadError classify_bpf_load_error(const BpfLoadFacts& f) {
	BpfLoadError e;
	const std::string what = f.stage.empty() ? "loading" : f.stage;
	if (!f.has_capabilities) {
		e.kind = BpfLoadErrorKind::privileges;
		e.message = "loading the eBPF collector needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), "
		            "which this process does not have (" + errno_text(f.err) + ")";
		return e;
	}
	if (f.lockdown == "confidentiality") {
		e.kind = BpfLoadErrorKind::lockdown;
		e.message = "the kernel is in lockdown mode 'confidentiality', which forbids BPF programs to read "
		            "kernel memory: the eBPF collector cannot run on this boot (" + what + ": " +
		            errno_text(f.err) + ")";
		return e;
	}
	VerifierVerdict v;
	const bool has_verdict = last_verifier_verdict(f.libbpf_log, &v);
	if (has_verdict && (v.last_lines.find("unknown func") != std::string::npos ||
	                    v.last_lines.find("invalid func") != std::string::npos ||
	                    v.last_lines.find("cannot use helper") != std::string::npos)) {
		e.kind = BpfLoadErrorKind::missing_helper;
		e.message = "this kernel lacks a BPF helper the eBPF collector needs (program " + v.program + ": " +
		            v.last_lines + "); it needs Linux 5.8 or later built with BTF";
		if (v.last_lines.find("probe_read") != std::string::npos && f.lockdown.empty()) {
			// securityfs unmounted: lockdown cannot be read, but is the likely cause.
			e.message += ", and a kernel in lockdown mode 'confidentiality' refuses this helper too";
		}
		return e;
	}
	if (f.libbpf_log.find("failed to find kernel BTF type ID") != std::string::npos ||
	    f.libbpf_log.find("failed to find BTF for") != std::string::npos ||
	    f.err == ESRCH || f.err == ENOTSUP || f.err == EOPNOTSUPP || f.err == 524 /* ENOTSUPP */) {
		e.kind = BpfLoadErrorKind::missing_hook;
		e.message = "this kernel lacks a hook or program type the eBPF collector needs (" + what + ": " +
		            errno_text(f.err) + "; libbpf: " + last_libbpf_message(f.libbpf_log) +
		            "); it needs Linux 5.8 or later built with BTF";
		return e;
	}
	if (has_verdict) {
		e.kind = BpfLoadErrorKind::verifier;
		e.message = "the kernel's BPF verifier refused the program " + v.program + ": " + v.last_lines +
		            " (PROCSQL_DEBUG=1 prints the whole verifier log; please report it with the kernel "
		            "release)";
		return e;
	}
	e.kind = BpfLoadErrorKind::other;
	e.message = "the kernel refused the eBPF collector (" + what + ": " + errno_text(f.err) + ")";
	const std::string last = last_libbpf_message(f.libbpf_log);
	if (!last.empty()) {
		e.message += " (libbpf: " + last + ")";
	}
	return e;
}

bool process_has_bpf_capabilities() {
	__user_cap_header_struct header{};
	header.version = _LINUX_CAPABILITY_VERSION_3;
	header.pid = 0;
	__user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
	if (syscall(SYS_capget, &header, data) != 0) {
		return geteuid() == 0;
	}
	auto effective = [&data](int cap) { return (data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap)) != 0; };
	// CAP_BPF (39) and CAP_PERFMON (38) came with 5.8; CAP_SYS_ADMIN does for both.
	return effective(CAP_SYS_ADMIN) || (effective(39) && effective(38));
}

std::string kernel_lockdown_mode() {
	// "none [integrity] confidentiality": the bracketed word is in force.
	std::ifstream f("/sys/kernel/security/lockdown");
	std::string text;
	if (!f || !std::getline(f, text)) {
		return "";
	}
	const size_t open = text.find('[');
	const size_t close = text.find(']', open);
	if (open == std::string::npos || close == std::string::npos) {
		return "";
	}
	return text.substr(open + 1, close - open - 1);
}

} // namespace procsql
