// BpfRingReader against a real kernel ring buffer: a tiny socket-filter
// program (run with BPF_PROG_TEST_RUN, so no tracing is needed) writes one
// 8-byte record per run into a BPF_MAP_TYPE_RINGBUF. A drain bounded by the
// producer position at its start must hand over exactly what was there, and
// none of the records produced while it runs (issue 11: a query's drain had
// no upper bound on a busy host).
#include "sources/bpf/bpf_ring_reader.h"

#include <bpf/bpf.h>
#include <cstring>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>
#include <vector>

#include "unavailable.h"

using namespace procsql;

namespace {

constexpr uint32_t kRingBytes = 1 << 16;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
	bpf_insn i{};
	i.code = code;
	i.dst_reg = dst;
	i.src_reg = src;
	i.off = off;
	i.imm = imm;
	return i;
}

struct Ring {
	int map_fd = -1;
	int prog_fd = -1;
	~Ring() {
		if (prog_fd >= 0) close(prog_fd);
		if (map_fd >= 0) close(map_fd);
	}
	// One record of 8 bytes: the value in r1 at entry is the context; we
	// write the constant `tag` so records can be told apart.
	bool load(std::string* why) {
		map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ring_test", 0, 0, kRingBytes, nullptr);
		if (map_fd < 0) {
			*why = "cannot create a BPF ring buffer (needs root)";
			return false;
		}
		const std::vector<bpf_insn> prog = {
		    insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 0x5a5a),           // r1 = tag
		    insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, -8, 0),     // *(u64 *)(r10 - 8) = r1
		    insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd), // r1 = &ring
		    insn(0, 0, 0, 0, 0),
		    insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),     // r2 = r10
		    insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8),             // r2 -= 8
		    insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 8),              // r3 = 8
		    insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),              // r4 = 0
		    insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output),
		    insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		    insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		};
		prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ring_test", "GPL", prog.data(), prog.size(), nullptr);
		if (prog_fd < 0) {
			*why = "cannot load the test program";
			return false;
		}
		return true;
	}
	bool produce() {
		char packet[64] = {};
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet));
		return bpf_prog_test_run_opts(prog_fd, &opts) == 0;
	}
};

struct Seen {
	Ring* ring = nullptr;
	int records = 0;
	int produce_while_consuming = 0; // records the callback writes meanwhile
	bool all_tagged = true;
};

void on_record(void* ctx, const void* data, size_t size) {
	auto* seen = static_cast<Seen*>(ctx);
	seen->records++;
	uint64_t v = 0;
	if (size == sizeof(v)) {
		std::memcpy(&v, data, sizeof(v));
	}
	seen->all_tagged = seen->all_tagged && size == 8 && v == 0x5a5a;
	for (; seen->produce_while_consuming > 0; seen->produce_while_consuming--) {
		seen->ring->produce();
	}
}

} // namespace

// A real ring and its program, and a reader on it.
class BpfRingReaderTest : public ::testing::Test {
protected:
	void SetUp() override {
		if (geteuid() != 0) {
			PROCSQL_UNAVAILABLE() << "needs root";
		}
		std::string why;
		if (!ring.load(&why)) {
			PROCSQL_UNAVAILABLE() << why;
		}
		ASSERT_TRUE(reader.open(ring.map_fd, kRingBytes, &why)) << why;
	}
	Ring ring;
	BpfRingReader reader;
};

TEST_F(BpfRingReaderTest, DrainStopsWhereTheProducerWasWhenItBegan) {
	EXPECT_EQ(reader.producer_pos(), 0u);

	for (int i = 0; i < 5; i++) {
		ASSERT_TRUE(ring.produce());
	}
	// The first record's callback writes 7 more: producers busy during the drain.
	Seen seen;
	seen.ring = &ring;
	seen.produce_while_consuming = 7;
	const uint64_t bound = reader.producer_pos();
	EXPECT_EQ(bound, 5u * 16); // 8-byte header + 8 bytes each
	EXPECT_EQ(reader.consume_until(bound, on_record, &seen), 5u);
	EXPECT_EQ(seen.records, 5);
	EXPECT_TRUE(seen.all_tagged);

	// The 7 are there for the next drain, whole and in order.
	Seen next;
	next.ring = &ring;
	EXPECT_EQ(reader.consume_until(reader.producer_pos(), on_record, &next), 7u);
	EXPECT_TRUE(next.all_tagged);
	EXPECT_EQ(reader.consume_until(reader.producer_pos(), on_record, &next), 0u);
}

TEST_F(BpfRingReaderTest, WrapsAroundTheEndOfTheDataArea) {
	// Three times the ring's size, drained as it goes: every record read once.
	int total = 0;
	Seen seen;
	seen.ring = &ring;
	for (int round = 0; round < 3 * int(kRingBytes / 16) / 1000; round++) {
		for (int i = 0; i < 1000; i++) {
			ASSERT_TRUE(ring.produce());
		}
		total += 1000;
		reader.consume_until(reader.producer_pos(), on_record, &seen);
	}
	EXPECT_EQ(seen.records, total);
	EXPECT_TRUE(seen.all_tagged);
}
