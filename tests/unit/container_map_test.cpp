// ContainerMap over a directory tree standing in for the cgroup v2 root and
// a runc root written by the test: scan, mkdir/rmdir, resolution by path and
// by runc's state, metadata from annotations, grace period.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "containers/container_map.h"

namespace procsql {
namespace {

class ContainerMapTest : public ::testing::Test {
protected:
	void SetUp() override {
		char tmpl[] = "/tmp/procsql-cmap-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		cgroot_ = dir_ + "/cgroup";
		runc_ = dir_ + "/runc";
		mkdir(cgroot_.c_str(), 0755);
		mkdir(runc_.c_str(), 0755);
	}
	void TearDown() override { (void)!system(("rm -rf " + dir_).c_str()); }

	uint64_t mkcg(const std::string& rel) {
		const std::string path = cgroot_ + rel;
		EXPECT_EQ(system(("mkdir -p " + path).c_str()), 0);
		struct stat st{};
		EXPECT_EQ(stat(path.c_str(), &st), 0);
		return st.st_ino;
	}

	void write_runc_state(const std::string& id, const std::string& cgroup_rel, const std::string& labels) {
		mkdir((runc_ + "/" + id).c_str(), 0700);
		std::ofstream(runc_ + "/" + id + "/state.json")
		    << R"({"id":")" << id << R"(","init_process_pid":1,"created":"2026-11-23T17:03:09.85428841Z",)"
		    << R"("config":{"labels":[)" << labels << R"(]},"cgroup_paths":{"":")" << cgroot_ + cgroup_rel
		    << R"("}})";
	}

	ContainerMap make(int64_t grace_ns = 1000) {
		ContainerMap::Options o;
		o.cgroup2_root = cgroot_;
		o.runc_roots = {runc_};
		o.grace_ns = grace_ns;
		return ContainerMap(o);
	}

	std::string dir_, cgroot_, runc_;
	const std::string id_ = std::string(64, 'a');
};

TEST_F(ContainerMapTest, ScanFindsContainersByPath) {
	const uint64_t host = mkcg("/system.slice/cron.service");
	const uint64_t docker = mkcg("/system.slice/docker-" + id_ + ".scope");
	const uint64_t sub = mkcg("/system.slice/docker-" + id_ + ".scope/init");
	ContainerMap map = make();
	map.scan();
	EXPECT_EQ(map.container_of(host, 0), "");
	EXPECT_EQ(map.container_of(docker, 0), id_);
	EXPECT_EQ(map.container_of(sub, 0), id_); // a sub-cgroup is still the container
	EXPECT_EQ(map.container_of(12345678, 0), ""); // unknown cgroup: the host
	const auto rows = map.containers(0);
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[0].runtime, "docker");
}

TEST_F(ContainerMapTest, MkdirRmdirAndGrace) {
	ContainerMap map = make(/*grace_ns=*/1000);
	map.on_mkdir(7, "/kubepods/burstable/pod1111-2222/" + id_, 100);
	EXPECT_EQ(map.container_of(7, 150), id_);
	map.on_rmdir(7, 200);
	auto rows = map.containers(500);
	ASSERT_EQ(rows.size(), 1u);
	EXPECT_EQ(rows[0].removed_time, 200);
	EXPECT_EQ(rows[0].pod_uid, "1111-2222");
	EXPECT_EQ(map.container_of(7, 600), id_); // still attributable within the grace period
	EXPECT_TRUE(map.containers(1201).empty()); // gone after it
}

TEST_F(ContainerMapTest, PlainRuncResolvedFromItsState) {
	// runc makes the cgroup before it writes its state: unresolved at mkdir,
	// resolved on a later lookup.
	const uint64_t cg = mkcg("/mycontainer");
	ContainerMap map = make();
	map.on_mkdir(cg, "/mycontainer", 1);
	EXPECT_EQ(map.container_of(cg, 2), "");
	write_runc_state("web-1", "/mycontainer",
	                 R"("bundle=/nonexistent","io.kubernetes.cri.container-name=web",)"
	                 R"("io.kubernetes.cri.sandbox-name=shop-7","io.kubernetes.cri.sandbox-namespace=prod",)"
	                 R"("io.kubernetes.cri.image-name=nginx:1.25")");
	EXPECT_EQ(map.container_of(cg, 2 + 200'000'000), "web-1");
	const auto rows = map.containers(3 + 200'000'000);
	ASSERT_EQ(rows.size(), 1u);
	EXPECT_EQ(rows[0].runtime, "containerd"); // from the annotations' family
	EXPECT_EQ(rows[0].container_name, "web");
	EXPECT_EQ(rows[0].pod_name, "shop-7");
	EXPECT_EQ(rows[0].pod_namespace, "prod");
	EXPECT_EQ(rows[0].image, "nginx:1.25");
	EXPECT_GT(rows[0].created_time, 1700000000000000000LL); // runc's "created"
}

TEST_F(ContainerMapTest, UnmatchedCgroupsAreNotRows) {
	ContainerMap map = make();
	map.on_mkdir(9, "/user.slice/user-1000.slice/session-3.scope", 1);
	map.on_mkdir(10, "/system.slice/crio-conmon-" + id_ + ".scope", 1);
	EXPECT_TRUE(map.containers(2).empty());
}

} // namespace
} // namespace procsql
