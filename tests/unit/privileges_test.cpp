// The names of the privilege and file-system columns: capability numbers as
// linux/capability.h numbers them, file systems by linux/magic.h.
#include <gtest/gtest.h>

#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "privileges.h"

namespace procsql {
namespace {

#define CAP(name) {name, #name}
const std::vector<std::pair<int, std::string>> kKernelCaps = {
    CAP(CAP_CHOWN),          CAP(CAP_DAC_OVERRIDE),  CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
    CAP(CAP_FSETID),         CAP(CAP_KILL),          CAP(CAP_SETGID),          CAP(CAP_SETUID),
    CAP(CAP_SETPCAP),        CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
    CAP(CAP_NET_ADMIN),      CAP(CAP_NET_RAW),       CAP(CAP_IPC_LOCK),        CAP(CAP_IPC_OWNER),
    CAP(CAP_SYS_MODULE),     CAP(CAP_SYS_RAWIO),     CAP(CAP_SYS_CHROOT),      CAP(CAP_SYS_PTRACE),
    CAP(CAP_SYS_PACCT),      CAP(CAP_SYS_ADMIN),     CAP(CAP_SYS_BOOT),        CAP(CAP_SYS_NICE),
    CAP(CAP_SYS_RESOURCE),   CAP(CAP_SYS_TIME),      CAP(CAP_SYS_TTY_CONFIG),  CAP(CAP_MKNOD),
    CAP(CAP_LEASE),          CAP(CAP_AUDIT_WRITE),   CAP(CAP_AUDIT_CONTROL),   CAP(CAP_SETFCAP),
    CAP(CAP_MAC_OVERRIDE),   CAP(CAP_MAC_ADMIN),     CAP(CAP_SYSLOG),          CAP(CAP_WAKE_ALARM),
    CAP(CAP_BLOCK_SUSPEND),  CAP(CAP_AUDIT_READ),    CAP(CAP_PERFMON),         CAP(CAP_BPF),
    CAP(CAP_CHECKPOINT_RESTORE),
};
#undef CAP

TEST(CapsText, EachCapabilityByTheKernelsNumber) {
	ASSERT_EQ(kKernelCaps.size(), size_t(CAP_LAST_CAP + 1)) << "a capability this test does not list";
	for (const auto& [bit, name] : kKernelCaps) {
		EXPECT_EQ(caps_text(uint64_t(1) << bit), name) << bit;
	}
}

TEST(CapsText, SetsInBitOrder) {
	EXPECT_EQ(caps_text(0), "");
	EXPECT_EQ(caps_text(2097152), "CAP_SYS_ADMIN");
	EXPECT_EQ(caps_text(3), "CAP_CHOWN|CAP_DAC_OVERRIDE");
	EXPECT_EQ(caps_text((1ull << CAP_BPF) | (1ull << CAP_SYS_ADMIN) | (1ull << CAP_PERFMON)),
	          "CAP_SYS_ADMIN|CAP_PERFMON|CAP_BPF");
	std::string all;
	for (const auto& [bit, name] : kKernelCaps) {
		all += (all.empty() ? "" : "|") + name;
	}
	EXPECT_EQ(caps_text((uint64_t(1) << (CAP_LAST_CAP + 1)) - 1), all);
}

// Bits a later kernel may give a meaning this build does not know: numbered.
TEST(CapsText, UnnamedBitsAreNumbered) {
	EXPECT_EQ(caps_text(1ull << 41), "CAP_41");
	EXPECT_EQ(caps_text(1ull << 63), "CAP_63");
	EXPECT_EQ(caps_text((1ull << 40) | (1ull << 41) | (1ull << 63)), "CAP_CHECKPOINT_RESTORE|CAP_41|CAP_63");
	const std::string every = caps_text(~0ull);
	EXPECT_EQ(std::count(every.begin(), every.end(), '|'), 63);
	EXPECT_EQ(every.substr(0, 10), "CAP_CHOWN|");
	EXPECT_EQ(every.substr(every.size() - 7), "|CAP_63");
}

TEST(FsTypeName, KernelMagicNumbers) {
	const std::vector<std::pair<uint64_t, std::string>> known = {
	    {EXT4_SUPER_MAGIC, "ext4"},     {EXT2_SUPER_MAGIC, "ext4"},     {XFS_SUPER_MAGIC, "xfs"},
	    {BTRFS_SUPER_MAGIC, "btrfs"},   {OVERLAYFS_SUPER_MAGIC, "overlay"}, {TMPFS_MAGIC, "tmpfs"},
	    {RAMFS_MAGIC, "ramfs"},         {SQUASHFS_MAGIC, "squashfs"},   {NFS_SUPER_MAGIC, "nfs"},
	    {PROC_SUPER_MAGIC, "proc"},     {SYSFS_MAGIC, "sysfs"},         {CGROUP2_SUPER_MAGIC, "cgroup2"},
	    {CGROUP_SUPER_MAGIC, "cgroup"}, {NSFS_MAGIC, "nsfs"},           {HUGETLBFS_MAGIC, "hugetlbfs"},
	    {F2FS_SUPER_MAGIC, "f2fs"},     {MSDOS_SUPER_MAGIC, "vfat"},    {ISOFS_SUPER_MAGIC, "iso9660"},
	    {BINFMTFS_MAGIC, "binfmt_misc"}, {EFIVARFS_MAGIC, "efivarfs"},  {FUSE_SUPER_MAGIC, "fuse"},
	    {PIPEFS_MAGIC, "pipefs"},       {SOCKFS_MAGIC, "sockfs"},       {ANON_INODE_FS_MAGIC, "anon_inode_fs"},
	    {V9FS_MAGIC, "v9fs"},           {UDF_SUPER_MAGIC, "udf"},       {EXFAT_SUPER_MAGIC, "exfat"},
	    {CRAMFS_MAGIC, "cramfs"},       {REISERFS_SUPER_MAGIC, "reiserfs"}, {AAFS_MAGIC, "aafs"},
	    {SMB2_SUPER_MAGIC, "smb2"},     {CIFS_SUPER_MAGIC, "cifs"},
	};
	for (const auto& [magic, name] : known) {
		EXPECT_EQ(fs_type_name(magic), name) << std::hex << magic;
	}
	EXPECT_EQ(kOverlayMagic, uint64_t(OVERLAYFS_SUPER_MAGIC));
}

TEST(FsTypeName, UnknownIsHex) {
	EXPECT_EQ(fs_type_name(0), "0x0");
	EXPECT_EQ(fs_type_name(0x12345678), "0x12345678");
	EXPECT_EQ(fs_type_name(0xffffffffffffffffull), "0xffffffffffffffff");
}

// What statfs says of mounts every Linux host has.
TEST(FsTypeName, LiveMounts) {
	struct statfs st {};
	ASSERT_EQ(statfs("/proc", &st), 0);
	EXPECT_EQ(fs_type_name(uint64_t(st.f_type)), "proc");
	ASSERT_EQ(statfs("/sys", &st), 0);
	EXPECT_EQ(fs_type_name(uint64_t(st.f_type)), "sysfs");
	ASSERT_EQ(statfs("/proc/self/ns/mnt", &st), 0);
	EXPECT_EQ(fs_type_name(uint64_t(st.f_type)), "nsfs");
}

} // namespace
} // namespace procsql
