// Shared by the audit_*_test.cpp binaries: the real records captured into
// tests/unit/fixtures/audit/ (see its README.md) and small helpers to turn
// them into parsed records and events.
#pragma once

#include <climits>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sources/audit/audit_reassembler.h"
#include "sources/audit/audit_record.h"

namespace audit_fixture {

// Fixtures sit beside this file; __FILE__ is absolute in the CMake build.
inline std::string dir() {
	std::string f = __FILE__;
	return f.substr(0, f.rfind('/')) + "/fixtures/audit";
}

struct Line {
	uint32_t type;
	std::string payload;
};

// "type<TAB>payload" lines; an empty vector if the file is missing.
inline std::vector<Line> load(const std::string& name) {
	std::ifstream in(dir() + "/" + name, std::ios::binary);
	std::vector<Line> out;
	std::string line;
	while (std::getline(in, line)) {
		const size_t tab = line.find('\t');
		if (tab == std::string::npos) continue;
		out.push_back({uint32_t(std::stoul(line.substr(0, tab))), line.substr(tab + 1)});
	}
	return out;
}

inline std::vector<Line> capture() { return load("capture_x86_64.txt"); }

// Every event of `lines`, keyed by serial (all records, EOE completed or
// flushed at the end).
inline std::map<uint64_t, procsql::AuditEvent> events(const std::vector<Line>& lines) {
	procsql::AuditReassembler re;
	std::vector<procsql::AuditEvent> done;
	for (const Line& l : lines) {
		procsql::AuditRecord r;
		std::string why;
		if (procsql::parse_audit_record(l.type, l.payload, &r, &why)) re.add(std::move(r), 0, &done);
	}
	re.expire(INT64_MAX, &done);
	std::map<uint64_t, procsql::AuditEvent> out;
	for (auto& e : done) out[e.serial] = std::move(e);
	return out;
}

// An event made of the given record texts (type, payload), in that order.
inline procsql::AuditEvent make_event(const std::vector<std::pair<uint32_t, std::string>>& recs) {
	procsql::AuditEvent ev;
	for (const auto& [type, text] : recs) {
		procsql::AuditRecord r;
		std::string why;
		if (!procsql::parse_audit_record(type, text, &r, &why)) {
			throw std::runtime_error("fixture record does not parse: " + why + ": " + text);
		}
		ev.serial = r.serial;
		ev.time_ns = r.time_ns;
		ev.records.push_back(std::move(r));
	}
	ev.complete = true;
	return ev;
}

} // namespace audit_fixture
