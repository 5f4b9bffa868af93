// Prints the table reference generated from tables/schema.h, or, with
// --check README.md, fails when the README's generated section differs (so the
// docs cannot drift from the schema).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "schema.h"

namespace {
const char kBegin[] = "<!-- BEGIN GENERATED TABLES (procsql_gen_docs) -->\n";
const char kEnd[] = "<!-- END GENERATED TABLES -->";
} // namespace

int main(int argc, char** argv) {
	const std::string generated = procsql::tables_markdown();
	const std::string mode = argc > 1 ? argv[1] : "";
	if (mode.empty()) {
		std::cout << generated;
		return 0;
	}
	if ((mode != "--check" && mode != "--update") || argc != 3) {
		std::cerr << "usage: procsql_gen_docs [--check|--update README.md]\n";
		return 2;
	}
	std::ifstream in(argv[2]);
	std::stringstream buf;
	buf << in.rdbuf();
	std::string readme = buf.str();
	const size_t begin = readme.find(kBegin);
	const size_t end = readme.find(kEnd);
	if (!in || begin == std::string::npos || end == std::string::npos || end < begin) {
		std::cerr << argv[2] << ": no generated tables section (" << kBegin << "... " << kEnd << ")\n";
		return 1;
	}
	const size_t body = begin + sizeof(kBegin) - 1;
	if (readme.compare(body, end - body, generated) == 0) {
		return 0;
	}
	if (mode == "--check") {
		std::cerr << argv[2] << ": the table reference is out of date; run procsql_gen_docs --update " << argv[2]
		          << "\n";
		return 1;
	}
	readme.replace(body, end - body, generated);
	std::ofstream(argv[2]) << readme;
	return 0;
}
