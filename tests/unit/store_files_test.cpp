// The stores as files (issue 12): made, reopened by a restarted writer with
// their eids continuing, attached read-only by readers; a writer killed in
// the middle of appends leaves nothing a reader could see torn; and a
// truncated, damaged, foreign or other-version file is refused with a clear
// error, never a crash or a wild allocation.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "config.h"
#include "exec_event.h"
#include "shared_stores.h"
#include "store/event_store.h"
#include "store/snapshot_store.h"
#include "store/store_dir.h"
#include "store/store_header.h"

namespace procsql {
namespace {

struct Fixed {
	int64_t time_ns;
	uint64_t check; // == time_ns * 7 + 3: a torn row would break it
};
using TestStore = EventStore<Fixed, 2>;

const StoreIdentity kId{StoreKind::events, "test_events", 42, "0123456789abcdef0123456789abcdef", "1.0"};

class TempDir {
public:
	TempDir() {
		char tmpl[] = "/tmp/procsql-store-XXXXXX";
		path_ = mkdtemp(tmpl);
	}
	~TempDir() { std::system(("rm -rf " + path_).c_str()); }
	const std::string& path() const { return path_; }

private:
	std::string path_;
};

Region writable_file(const std::string& dir, const std::string& name, uint64_t bytes, bool* created) {
	Region r;
	std::string error;
	EXPECT_TRUE(open_store_for_writing(dir, name, bytes, gid_t(-1), &r, created, &error)) << error;
	return r;
}

std::unique_ptr<const TestStore> attach(const std::string& dir, const std::string& name, std::string* error) {
	Region r;
	if (!map_store_readonly(dir, name, uint64_t(1) << 40, &r, error)) {
		return nullptr;
	}
	return TestStore::attach(std::move(r), kId, error);
}

void append_rows(TestStore& s, int64_t from, int64_t n) {
	for (int64_t t = from; t < from + n; t++) {
		const std::string a = "row-" + std::to_string(t);
		EXPECT_NE(s.append(Fixed{t, uint64_t(t) * 7 + 3}, {a, std::string(size_t(t % 50), 'x')}), 0u);
	}
}

// Every retained row of a view: intact and self-consistent.
uint64_t check_all(const TestStore& s) {
	uint64_t ok = 0;
	const auto& ring = s.ring();
	for (uint64_t eid = ring.first_eid(); eid < ring.next_eid(); eid++) {
		Fixed f{};
		std::string a, b;
		const ReadStatus st = ring.read(eid, &f, {&a, &b});
		EXPECT_NE(st, ReadStatus::corrupt) << eid;
		if (st == ReadStatus::ok) {
			EXPECT_EQ(f.check, uint64_t(f.time_ns) * 7 + 3) << eid;
			EXPECT_EQ(a, "row-" + std::to_string(f.time_ns)) << eid;
			EXPECT_EQ(b.size(), size_t(f.time_ns % 50)) << eid;
			ok++;
		}
	}
	return ok;
}

TEST(StoreFiles, EidsContinueWhenAWriterReopensTheFile) {
	TempDir dir;
	const uint64_t bytes = TestStore::region_bytes(1000, 1 << 20);
	bool created = false;
	{
		auto s = TestStore::create_in(writable_file(dir.path(), "t.store", bytes, &created), 1000, 1 << 20, kId,
		                              nullptr);
		ASSERT_TRUE(created);
		ASSERT_TRUE(s);
		append_rows(*s, 1, 300);
		EXPECT_EQ(s->ring().next_eid(), 301u);
	}
	std::string error;
	auto reader = attach(dir.path(), "t.store", &error);
	ASSERT_TRUE(reader) << error;
	EXPECT_EQ(check_all(*reader), 300u);

	auto again = TestStore::reopen(writable_file(dir.path(), "t.store", bytes, &created), 1000, 1 << 20, kId, &error);
	ASSERT_TRUE(again) << error;
	EXPECT_FALSE(created);
	EXPECT_EQ(again->ring().next_eid(), 301u);
	append_rows(*again, 301, 10);
	// The reader attached before the restart sees the new rows, same file.
	EXPECT_EQ(reader->ring().next_eid(), 311u);
	EXPECT_EQ(check_all(*reader), 310u);
	EXPECT_EQ(again->header().rows_discarded.load(), 0u);

	// The time index lives in the file too: the reader skips with it.
	EXPECT_FALSE(reader->time_index().may_contain(0, 5000, 6000));
	EXPECT_TRUE(reader->time_index().may_contain(0, 10, 20));
}

TEST(StoreFiles, AReopenWithOtherSettingsIsRefused) {
	TempDir dir;
	bool created = false;
	std::string error;
	auto s = TestStore::create_in(writable_file(dir.path(), "t.store", TestStore::region_bytes(1000, 1 << 20), &created),
	                              1000, 1 << 20, kId, &error);
	ASSERT_TRUE(s) << error;
	s.reset();
	auto other = TestStore::reopen(writable_file(dir.path(), "t.store", 0, &created), 2000, 1 << 20, kId, &error);
	EXPECT_FALSE(other);
	EXPECT_NE(error.find("capacity 1000"), std::string::npos) << error;
}

TEST(StoreFiles, AWriterKilledMidAppendLeavesNoTornRowAndTheNextOneCarriesOn) {
	TempDir dir;
	const uint64_t bytes = TestStore::region_bytes(512, 64 * 1024);
	bool created = false;
	std::string error;
	{
		auto s = TestStore::create_in(writable_file(dir.path(), "t.store", bytes, &created), 512, 64 * 1024, kId, &error);
		ASSERT_TRUE(s) << error;
	}
	uint64_t discarded_total = 0;
	int64_t next_time = 1;
	auto watcher = attach(dir.path(), "t.store", &error);
	ASSERT_TRUE(watcher) << error;
	for (int round = 0; round < 20; round++) {
		const uint64_t at_fork = watcher->ring().next_eid();
		const pid_t child = fork();
		ASSERT_GE(child, 0);
		if (child == 0) {
			std::string e;
			bool c = false;
			Region r;
			if (!open_store_for_writing(dir.path(), "t.store", bytes, gid_t(-1), &r, &c, &e)) _exit(1);
			auto w = TestStore::reopen(std::move(r), 512, 64 * 1024, kId, &e);
			if (!w) _exit(2);
			for (int64_t t = int64_t(w->ring().next_eid()) * 1000;; t++) {
				const std::string a = "row-" + std::to_string(t);
				w->append(Fixed{t, uint64_t(t) * 7 + 3}, {a, std::string(size_t(t % 50), 'x')});
			}
		}
		// The kill lands while it appends: once it has stored a row this
		// round (however slowly it started on a loaded machine), then a
		// little later each round.
		for (int waited_ms = 0; watcher->ring().next_eid() == at_fork && waited_ms < 60000; waited_ms++) {
			usleep(1000);
		}
		usleep(500 + round * 300);
		kill(child, SIGKILL);
		int status = 0;
		waitpid(child, &status, 0);
		ASSERT_TRUE(WIFSIGNALED(status)) << "the writer failed to start: " << status;
		auto reader = attach(dir.path(), "t.store", &error);
		ASSERT_TRUE(reader) << error;
		EXPECT_GT(check_all(*reader), 0u);
		auto w = TestStore::reopen(writable_file(dir.path(), "t.store", bytes, &created), 512, 64 * 1024, kId, &error);
		ASSERT_TRUE(w) << error;
		discarded_total = w->header().rows_discarded.load();
		const uint64_t before = w->ring().next_eid();
		const std::string a = "row-" + std::to_string(next_time);
		EXPECT_EQ(w->append(Fixed{next_time, uint64_t(next_time) * 7 + 3}, {a, std::string(size_t(next_time % 50), 'x')}),
		          before)
		    << "eids continue from where the killed writer stopped";
		next_time++;
		EXPECT_EQ(check_all(*reader), check_all(*w));
	}
	// A kill lands mid-append now and then: those rows were discarded, counted.
	RecordProperty("rows_discarded", std::to_string(discarded_total));
}

// Rewrites a file's header field and, like a deliberate forgery, its checksum,
// so that the check that follows is the one under test.
void forge(const std::string& path, size_t offset, const void* bytes, size_t n, bool fix_sum) {
	int fd = open(path.c_str(), O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pwrite(fd, bytes, n, off_t(offset)), ssize_t(n));
	if (fix_sum) {
		StoreHeader h;
		ASSERT_EQ(pread(fd, &h, sizeof(h), 0), ssize_t(sizeof(h)));
		const auto* begin = reinterpret_cast<const uint8_t*>(&h.format_version);
		const auto* end = reinterpret_cast<const uint8_t*>(&h.header_sum);
		const uint64_t sum = fnv1a64(begin, size_t(end - begin));
		ASSERT_EQ(pwrite(fd, &sum, 8, off_t(offsetof(StoreHeader, header_sum))), 8);
	}
	close(fd);
}

class DamagedStore : public ::testing::Test {
protected:
	void SetUp() override {
		bool created = false;
		std::string error;
		auto s = TestStore::create_in(
		    writable_file(dir_.path(), "t.store", TestStore::region_bytes(256, 64 * 1024), &created), 256, 64 * 1024,
		    kId, &error);
		ASSERT_TRUE(s) << error;
		append_rows(*s, 1, 100);
		path_ = dir_.path() + "/t.store";
	}
	std::string refusal() {
		std::string error;
		auto s = attach(dir_.path(), "t.store", &error);
		EXPECT_FALSE(s) << "a damaged store was accepted";
		EXPECT_FALSE(error.empty());
		return error;
	}
	TempDir dir_;
	std::string path_;
};

TEST_F(DamagedStore, Truncated) {
	struct stat st{};
	ASSERT_EQ(stat(path_.c_str(), &st), 0);
	ASSERT_EQ(truncate(path_.c_str(), st.st_size - 4096), 0);
	EXPECT_NE(refusal().find("truncated"), std::string::npos);
	ASSERT_EQ(truncate(path_.c_str(), 100), 0);
	EXPECT_NE(refusal().find("truncated"), std::string::npos);
	ASSERT_EQ(truncate(path_.c_str(), 0), 0);
	EXPECT_NE(refusal().find("truncated"), std::string::npos);
}

TEST_F(DamagedStore, AFlippedHeaderByteFailsTheChecksum) {
	const uint8_t flip = 0x5a;
	forge(path_, offsetof(StoreHeader, params) + 3, &flip, 1, false);
	EXPECT_NE(refusal().find("checksum"), std::string::npos);
}

TEST_F(DamagedStore, AnotherFormatVersion) {
	const uint64_t v = kStoreFormatVersion + 1;
	forge(path_, offsetof(StoreHeader, format_version), &v, 8, true);
	EXPECT_NE(refusal().find("format version " + std::to_string(v)), std::string::npos);
}

TEST_F(DamagedStore, AnotherSchema) {
	const uint64_t h = 43;
	forge(path_, offsetof(StoreHeader, schema_hash), &h, 8, true);
	EXPECT_NE(refusal().find("schema hash"), std::string::npos);
}

TEST_F(DamagedStore, ForgedGeometryIsCheckedAgainstTheLayout) {
	const uint64_t capacity = uint64_t(1) << 39; // would put the ring far past the file
	forge(path_, offsetof(StoreHeader, params), &capacity, 8, true);
	EXPECT_NE(refusal().find("geometry"), std::string::npos);
}

TEST_F(DamagedStore, AForeignFile) {
	std::ofstream(path_, std::ios::trunc) << std::string(8192, 'z');
	EXPECT_NE(refusal().find("not a procsql store"), std::string::npos);
}

TEST_F(DamagedStore, FlippedBodyBytesNeverCrashAReader) {
	// Bytes all over the slots and the arena: rows may read wrong or be
	// refused as corrupt, but a reader never crashes or allocates wildly.
	int fd = open(path_.c_str(), O_RDWR);
	ASSERT_GE(fd, 0);
	struct stat st{};
	fstat(fd, &st);
	srand(7);
	for (int i = 0; i < 4000; i++) {
		const off_t at = off_t(kStoreHeaderBytes + uint64_t(rand()) % (uint64_t(st.st_size) - kStoreHeaderBytes));
		const uint8_t b = uint8_t(rand());
		ASSERT_EQ(pwrite(fd, &b, 1, at), 1);
	}
	close(fd);
	std::string error;
	auto s = attach(dir_.path(), "t.store", &error);
	if (!s) {
		EXPECT_FALSE(error.empty());
		return;
	}
	const auto& ring = s->ring();
	uint64_t seen = 0;
	for (uint64_t eid = ring.first_eid(); eid < ring.next_eid() && seen < 100000; eid++, seen++) {
		Fixed f{};
		std::string a, b;
		const ReadStatus st2 = ring.read(eid, &f, {&a, &b});
		if (st2 == ReadStatus::ok) {
			EXPECT_LE(a.size() + b.size(), 32u * 1024);
		}
	}
}

TEST(SnapshotStoreFile, PublishReadAndDamage) {
	TempDir dir;
	bool created = false;
	const StoreIdentity id{StoreKind::snapshot, "snap", 7, "0123456789abcdef0123456789abcdef", "1.0"};
	auto w = SnapshotStore::create_in(writable_file(dir.path(), "s.store", SnapshotStore::region_bytes(4096), &created),
	                                  4096, id, nullptr);
	ASSERT_TRUE(w);
	Region r;
	std::string error;
	ASSERT_TRUE(map_store_readonly(dir.path(), "s.store", 1 << 20, &r, &error)) << error;
	auto reader = SnapshotStore::attach(std::move(r), id, &error);
	ASSERT_TRUE(reader) << error;
	std::string payload;
	uint64_t rows = 0;
	int64_t as_of = 0;
	EXPECT_FALSE(reader->read(&payload, &rows, &as_of, &error));
	EXPECT_NE(error.find("nothing published"), std::string::npos);
	for (int i = 1; i <= 5; i++) {
		ASSERT_TRUE(w->publish(std::string(size_t(i * 100), char('a' + i)), uint64_t(i), i));
		ASSERT_TRUE(reader->read(&payload, &rows, &as_of, &error)) << error;
		EXPECT_EQ(payload, std::string(size_t(i * 100), char('a' + i)));
		EXPECT_EQ(rows, uint64_t(i));
	}
	EXPECT_FALSE(w->publish(std::string(5000, 'x'), 1, 0)) << "larger than a half";
	EXPECT_EQ(w->too_large(), 1u);
	// A damaged current half is refused by its checksum.
	const int fd = open((dir.path() + "/s.store").c_str(), O_RDWR);
	ASSERT_GE(fd, 0);
	const uint8_t b = 0;
	// Generation 5 is in half 1: header page + 64 words + stride of half 0 + 64.
	const off_t half1 = off_t(kStoreHeaderBytes + 64 + ((64 + 4096 + 63) & ~63) + 64 + 10);
	ASSERT_EQ(pwrite(fd, &b, 1, half1), 1);
	close(fd);
	EXPECT_FALSE(reader->read(&payload, &rows, &as_of, &error));
	EXPECT_NE(error.find("damaged"), std::string::npos) << error;
}

TEST(DaemonStoresDir, ReopenKeepsTheStoreIdAndOtherSettingsSetItAside) {
	TempDir dir;
	Config config;
	config.capacity = 1024;
	config.arena_bytes = 4ull << 20;
	std::vector<std::string> log;
	std::string error, first_id;
	{
		auto s = DaemonStores::open(dir.path(), gid_t(-1), config, &log, &error);
		ASSERT_TRUE(s) << error;
		EXPECT_TRUE(log.empty());
		first_id = s->store_id();
		EXPECT_EQ(first_id.size(), 32u);
		s->mark_running(getpid(), 1000, "bpf", 100, collector_settings(config));
		ExecRow row{};
		row.time_ns = 5;
		EXPECT_EQ(s->exec().append(row, {}), 1u);
		auto a = AttachedStores::attach(dir.path(), &error);
		ASSERT_TRUE(a) << error;
		EXPECT_EQ(a->store_id(), first_id);
		EXPECT_EQ(a->exec().ring().next_eid(), 2u);
		EXPECT_NE(a->settings().find("PROCSQL_CAPACITY=1024\n"), std::string::npos);
		s->mark_stopped(2000);
	}
	{
		auto s = DaemonStores::open(dir.path(), gid_t(-1), config, &log, &error);
		ASSERT_TRUE(s) << error;
		EXPECT_TRUE(log.empty());
		EXPECT_EQ(s->store_id(), first_id);
		s->mark_running(getpid(), 3000, "bpf", 100, collector_settings(config));
		EXPECT_EQ(s->control().previous_stop.load(), uint64_t(PreviousStop::clean));
		EXPECT_EQ(s->control().gap_start_ns.load(), 2000);
		EXPECT_EQ(s->control().gap_end_ns.load(), 3000);
		ExecRow row{};
		EXPECT_EQ(s->exec().append(row, {}), 2u) << "eids continue";
		// Killed: no stop recorded; the next start says so.
	}
	{
		auto s = DaemonStores::open(dir.path(), gid_t(-1), config, &log, &error);
		ASSERT_TRUE(s) << error;
		s->mark_running(getpid(), 9000, "bpf", 100, collector_settings(config));
		EXPECT_EQ(s->control().previous_stop.load(), uint64_t(PreviousStop::killed));
		EXPECT_EQ(s->control().gap_start_ns.load(), 3000) << "its last heartbeat (its start)";
	}
	config.capacity = 2048;
	auto s = DaemonStores::open(dir.path(), gid_t(-1), config, &log, &error);
	ASSERT_TRUE(s) << error;
	ASSERT_EQ(log.size(), 1u);
	EXPECT_NE(log[0].find("aside"), std::string::npos) << log[0];
	EXPECT_NE(log[0].find(first_id), std::string::npos) << log[0];
	EXPECT_NE(s->store_id(), first_id);
	EXPECT_EQ(s->exec().ring().next_eid(), 1u);
	struct stat st{};
	EXPECT_EQ(stat((dir.path() + "/aside").c_str(), &st), 0);
}

} // namespace
} // namespace procsql
