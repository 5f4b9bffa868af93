// Prints the README sections generated from the schema (tables/schema.h: the
// table reference; tables/unknown_columns.h: what each backend cannot know),
// or, with --check README.md, fails when a generated section of the README
// differs (so the docs cannot drift from the code); --update rewrites them.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_features.h"
#include "schema.h"
#include "unknown_columns.h"

namespace {
struct Section {
	std::string begin, end, body;
};

// Replaces the body between the section's markers; false when they are missing.
bool splice(std::string* readme, const Section& s, bool* changed) {
	const size_t begin = readme->find(s.begin);
	const size_t end = readme->find(s.end);
	if (begin == std::string::npos || end == std::string::npos || end < begin) {
		return false;
	}
	const size_t body = begin + s.begin.size();
	if (readme->compare(body, end - body, s.body) != 0) {
		readme->replace(body, end - body, s.body);
		*changed = true;
	}
	return true;
}
} // namespace

int main(int argc, char** argv) {
	std::string error;
	const std::vector<Section> sections = {
	    {"<!-- BEGIN GENERATED TABLES (procsql_gen_docs) -->\n", "<!-- END GENERATED TABLES -->",
	     procsql::tables_markdown()},
	    {"<!-- BEGIN GENERATED UNKNOWN COLUMNS (procsql_gen_docs) -->\n", "<!-- END GENERATED UNKNOWN COLUMNS -->",
	     procsql::unknown_columns_markdown(&error)},
	    {"<!-- BEGIN GENERATED KERNEL FEATURES (procsql_gen_docs) -->\n", "<!-- END GENERATED KERNEL FEATURES -->",
	     procsql::kernel_features_markdown()},
	};
	if (!error.empty()) {
		std::cerr << error;
		return 1;
	}
	const std::string mode = argc > 1 ? argv[1] : "";
	if (mode.empty()) {
		for (const Section& s : sections) {
			std::cout << s.body << "\n";
		}
		return 0;
	}
	if ((mode != "--check" && mode != "--update") || argc != 3) {
		std::cerr << "usage: procsql_gen_docs [--check|--update README.md]\n";
		return 2;
	}
	std::ifstream in(argv[2]);
	std::stringstream buf;
	buf << in.rdbuf();
	if (!in) {
		std::cerr << argv[2] << ": cannot be read\n";
		return 1;
	}
	std::string readme = buf.str();
	bool changed = false;
	for (const Section& s : sections) {
		if (!splice(&readme, s, &changed)) {
			std::cerr << argv[2] << ": no generated section (" << s.begin << "... " << s.end << ")\n";
			return 1;
		}
	}
	if (!changed) {
		return 0;
	}
	if (mode == "--check") {
		std::cerr << argv[2] << ": a generated section is out of date; run procsql_gen_docs --update " << argv[2]
		          << "\n";
		return 1;
	}
	std::ofstream(argv[2]) << readme;
	return 0;
}
