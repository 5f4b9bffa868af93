#include "privileges.h"

#include <cstdio>

namespace procsql {

namespace {

// In capability-number order (linux/capability.h; 40 is CAP_CHECKPOINT_RESTORE, 5.9).
const char* const kCapNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",    "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",            "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",         "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",     "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",       "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",      "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

struct FsName {
	uint64_t magic;
	const char* name;
};

// The file systems an executable is commonly found on (linux/magic.h).
const FsName kFsNames[] = {
    {0xef53, "ext4"}, // ext2/ext3/ext4 share the magic
    {0x58465342, "xfs"},
    {0x9123683e, "btrfs"},
    {0x794c7630, "overlay"},
    {0x01021994, "tmpfs"},
    {0x858458f6, "ramfs"},
    {0x73717368, "squashfs"},
    {0x6969, "nfs"},
    {0xff534d42, "cifs"},
    {0xfe534d42, "smb2"},
    {0x65735546, "fuse"},
    {0x2fc12fc1, "zfs"},
    {0x4d44, "vfat"},
    {0x5346544e, "ntfs"},
    {0x9660, "iso9660"},
    {0x28cd3d45, "cramfs"},
    {0xf2f52010, "f2fs"},
    {0x3153464a, "jfs"},
    {0x52654973, "reiserfs"},
    {0x01161970, "gfs2"},
    {0x6e736673, "nsfs"},
    {0x9fa0, "proc"},
    {0x62656572, "sysfs"},
    {0x1373, "devfs"}, // the old devfs; devtmpfs reports tmpfs's magic
    {0x42494e4d, "binfmt_misc"},
    {0x27e0eb, "cgroup"},
    {0x63677270, "cgroup2"},
    {0x958458f6, "hugetlbfs"},
    {0x15013346, "udf"},
    {0x24051905, "ubifs"},
    {0x5a3c69f0, "aafs"},
    {0xde5e81e4, "efivarfs"},
    {0x2011bab0, "exfat"},
    {0xa501fcf5, "vxfs"},
    {0x0bd00bd0, "lustre"},
    {0x47504653, "gpfs"},
    {0xca451a4e, "bcachefs"},
    {0x6e667364, "nfsd"},
    {0x01021997, "v9fs"},
    {0x50495045, "pipefs"},
    {0x534f434b, "sockfs"},
    {0x09041934, "anon_inode_fs"},
};

} // namespace

std::string caps_text(uint64_t caps) {
	std::string out;
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(caps & (uint64_t(1) << bit))) {
			continue;
		}
		if (!out.empty()) {
			out += '|';
		}
		if (bit < sizeof(kCapNames) / sizeof(kCapNames[0])) {
			out += kCapNames[bit];
		} else {
			out += "CAP_" + std::to_string(bit);
		}
	}
	return out;
}

std::string fs_type_name(uint64_t magic) {
	for (const FsName& f : kFsNames) {
		if (f.magic == magic) {
			return f.name;
		}
	}
	char buf[24];
	std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(magic));
	return buf;
}

} // namespace procsql
