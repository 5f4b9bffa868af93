// Prints the README sections generated from the schema (tables/schema.h: the
// table reference; tables/unknown_columns.h: what each backend cannot know),
// from the kernel features and from the stores' own sizes (the memory each
// table takes), or, with --check README.md, fails when a generated section of
// the README differs (so the docs cannot drift from the code); --update
// rewrites them.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "collector.h"
#include "store/store_header.h"
#include "config.h"
#include "sources/bpf/kernel_features.h"
#include "schema.h"
#include "unknown_columns.h"

namespace {
struct Section {
	std::string begin, end, body;
};

constexpr uint64_t kMiB = 1ull << 20;

std::string mib(uint64_t bytes) {
	char buf[32];
	if (bytes % kMiB == 0) {
		std::snprintf(buf, sizeof(buf), "%llu MiB", static_cast<unsigned long long>(bytes / kMiB));
	} else {
		std::snprintf(buf, sizeof(buf), "%.1f MiB", double(bytes) / double(kMiB));
	}
	return buf;
}

// Words of `text` in lines of at most `width` bytes (as the README's prose is).
std::string wrap(const std::string& text, size_t width) {
	std::istringstream words(text);
	std::string word, line, out;
	while (words >> word) {
		if (!line.empty() && line.size() + 1 + word.size() > width) {
			out += line + "\n";
			line.clear();
		}
		line += (line.empty() ? "" : " ") + word;
	}
	return out + line + "\n";
}

// One event table's store, as a collector made it.
struct StoreFigures {
	const char* table;
	uint64_t slot_bytes;   // per row
	uint64_t arena_bytes;  // its string arena
	uint64_t memory_bytes; // the whole store
	uint64_t capacity;
};

template <class Store>
StoreFigures figures(const char* table, const Store& store) {
	return {table, Store::RingType::kSlotWords * 8, store.ring().arena_bytes(), store.memory_bytes(),
	        store.ring().capacity()};
}

std::vector<StoreFigures> store_figures(const procsql::Collector& c) {
	return {figures("process_events", c.exec_store()), figures("clone_events", c.clone_store()),
	        figures("process_exits", c.exit_store()), figures("exec_failures", c.failure_store())};
}

// The Configuration section's memory table: what each event table's store
// takes, read from stores that a collector without a source makes, at the
// defaults and (to find how the lifecycle tables' arenas follow
// PROCSQL_ARENA_BYTES) at other arena sizes. The prose formula is checked
// against every store's real size.
std::string memory_markdown(std::string* error) {
	using namespace procsql;
	const Config defaults;
	auto made = [&](uint64_t arena_bytes) {
		Config c = defaults;
		c.arena_bytes = arena_bytes;
		std::string why;
		auto collector = Collector::without_source(c, &why);
		if (!collector) {
			*error += "memory figures: no stores with PROCSQL_ARENA_BYTES=" + std::to_string(arena_bytes) + ": " +
			          why + "\n";
		}
		return collector;
	};
	const auto at_defaults = made(defaults.arena_bytes);
	const auto big = made(1ull << 30);
	const auto small = made(kMiB); // the smallest PROCSQL_ARENA_BYTES
	if (!at_defaults || !big || !small) {
		return "";
	}
	// The index's size for a capacity, and per block of its rows.
	const uint64_t index_block_bytes = TimeIndex(2 * TimeIndex::kBlockRows).memory_bytes() -
	                                   TimeIndex(TimeIndex::kBlockRows).memory_bytes();
	const uint64_t index_extra_blocks =
	    TimeIndex(defaults.capacity).memory_bytes() / index_block_bytes - defaults.capacity / TimeIndex::kBlockRows;
	std::ostringstream out;
	out << "| table | bytes per row slot | string arena | memory at the defaults |\n|---|---|---|---|\n";
	uint64_t total = 0;
	const auto rows = store_figures(*at_defaults), big_rows = store_figures(*big), small_rows = store_figures(*small);
	for (size_t i = 0; i < rows.size(); i++) {
		const StoreFigures& f = rows[i];
		std::string arena;
		if (big_rows[i].arena_bytes == (1ull << 30) && f.arena_bytes == defaults.arena_bytes) {
			arena = "`PROCSQL_ARENA_BYTES`";
		} else if ((1ull << 30) % big_rows[i].arena_bytes == 0) {
			const uint64_t divisor = (1ull << 30) / big_rows[i].arena_bytes;
			arena = "`PROCSQL_ARENA_BYTES` / " + std::to_string(divisor);
			if (small_rows[i].arena_bytes != kMiB / divisor) {
				arena += ", at least " + mib(small_rows[i].arena_bytes);
			}
		} else {
			*error += std::string("memory figures: cannot say how ") + f.table + "'s arena follows PROCSQL_ARENA_BYTES\n";
			return "";
		}
		out << "| `" << f.table << "` | " << f.slot_bytes << " | " << arena << " (" << mib(f.arena_bytes)
		    << " at the default) | " << mib(f.memory_bytes) << " |\n";
		total += f.memory_bytes;
		for (const auto& g : {f, big_rows[i], small_rows[i]}) {
			const uint64_t slots = (g.capacity * g.slot_bytes + kRingCacheLine - 1) / kRingCacheLine * kRingCacheLine;
			const uint64_t index = (g.capacity / TimeIndex::kBlockRows + index_extra_blocks) * index_block_bytes;
			auto page = [](uint64_t n) { return (n + 4095) / 4096 * 4096; };
			if (page(kStoreHeaderBytes + page(index) + kRingHeaderBytes + slots + g.arena_bytes) != g.memory_bytes) {
				*error += std::string("memory figures: the formula no longer gives ") + g.table + "'s size\n";
				return "";
			}
		}
	}
	std::ostringstream prose;
	prose << "Each table is one region (in memory, or under procsqld a file): a " << kStoreHeaderBytes
	      << "-byte header, a time index of " << index_block_bytes << " bytes per block of " << TimeIndex::kBlockRows
	      << " rows (capacity / " << TimeIndex::kBlockRows << " + " << index_extra_blocks
	      << " blocks, rounded up to 4 KiB), then " << kRingHeaderBytes << " bytes + capacity × its slot bytes (rounded up to "
	      << kRingCacheLine << ") + its arena, the whole rounded up to 4 KiB; `TABLE.memory_bytes` in `procsql_stats` is "
	      << "that figure. At the defaults the four take "
	      << mib(total) << ", and the kernel ring buffer (`PROCSQL_RINGBUF_BYTES`) " << mib(defaults.ringbuf_bytes)
	      << " more.";
	out << "\n" << wrap(prose.str(), 92);
	return out.str();
}

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
	    {"<!-- BEGIN GENERATED MEMORY (procsql_gen_docs) -->\n", "<!-- END GENERATED MEMORY -->",
	     memory_markdown(&error)},
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
