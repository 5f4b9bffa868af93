#include "syscalls/syscall_selection.h"

#include <algorithm>

namespace procsql {

bool SyscallSelection::chooses(const std::string& container_id) const {
	if (container_id.empty()) {
		return false;
	}
	if (all) {
		return true;
	}
	return std::any_of(prefixes.begin(), prefixes.end(),
	                   [&](const std::string& p) { return container_id.compare(0, p.size(), p) == 0; });
}

std::string SyscallSelection::text() const {
	if (all) {
		return "all";
	}
	std::string s;
	for (const std::string& p : prefixes) {
		s += s.empty() ? "" : ",";
		s += p;
	}
	return s;
}

bool valid_container_prefix(const std::string& prefix, const std::string& what, std::string* error) {
	bool ok = !prefix.empty() && prefix.size() <= 128 && prefix != "." && prefix != "..";
	for (char ch : prefix) {
		ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		            ch == '-' || ch == '.');
	}
	if (!ok) {
		std::string shown = prefix.substr(0, 160); // one printable line, whatever was given
		for (char& ch : shown) {
			if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e) ch = '?';
		}
		*error = what + " takes 'all' or container id prefixes (letters, digits, '_', '-', '.', at most 128 "
		                "bytes each, separated by commas), got '" + shown + "'";
	}
	return ok;
}

bool parse_syscall_selection(const std::string& text, SyscallSelection* out, std::string* error) {
	SyscallSelection s;
	size_t at = 0;
	while (at <= text.size()) {
		size_t comma = text.find(',', at);
		if (comma == std::string::npos) {
			comma = text.size();
		}
		std::string item = text.substr(at, comma - at);
		at = comma + 1;
		while (!item.empty() && item.back() == ' ') item.pop_back();
		while (!item.empty() && item.front() == ' ') item.erase(0, 1);
		if (item.empty()) {
			continue;
		}
		if (item == "all") {
			s.all = true;
			continue;
		}
		if (!valid_container_prefix(item, "PROCSQL_SYSCALLS", error)) {
			return false;
		}
		if (std::find(s.prefixes.begin(), s.prefixes.end(), item) == s.prefixes.end()) {
			s.prefixes.push_back(item);
		}
	}
	if (s.all && !s.prefixes.empty()) {
		*error = "PROCSQL_SYSCALLS is either 'all' or a list of container id prefixes, not both, got '" + text + "'";
		return false;
	}
	*out = std::move(s);
	return true;
}

} // namespace procsql
