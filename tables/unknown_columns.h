// The event-table columns a backend can leave NULL because its source could
// not know the value (not because the value does not exist, like a missing
// tty), with the reason, per backend. The README's "what each backend cannot
// know" table is generated from this list (procsql_gen_docs), and the
// integration tests on the audit backend accept a NULL exactly where it says
// audit may give one.
#pragma once

#include <string>

namespace procsql {

struct UnknownColumn {
	const char* table;
	const char* column;
	const char* bpf;   // why eBPF may give NULL; nullptr: it always knows
	const char* audit; // why audit may give NULL; nullptr: it always knows
};

// The Markdown table of every such column; each name is checked against the
// schema, and a name that is not a column makes *error non-empty.
std::string unknown_columns_markdown(std::string* error);

} // namespace procsql
