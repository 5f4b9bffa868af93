// procsql's own audit rules: one key per running instance, installing and
// removing exactly the rules under it, deleting the rules of instances that
// died without removing theirs, and telling which existing rules keep ours
// from ever firing.
//
// The decisions (key parsing, which rules are stale, which shadow ours, what
// to do when rules are locked) are pure functions over a rule list, tested
// without a kernel; install_rules/remove_rules only carry them out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/audit/audit_netlink.h"

namespace procsql {

// Key: "procsql-<pid>-<starttime ticks from /proc/self/stat field 22>-<first 8 chars of instance id>"
// (instance ids are hex; any other character is written as 'x', an empty id as "0",
// so that every key this makes parses back).
std::string instance_rule_key(int pid, uint64_t start_ticks, const std::string& instance_id);
bool parse_instance_rule_key(std::string_view key, int* pid, uint64_t* start_ticks); // false if not ours
bool instance_alive(int pid, uint64_t start_ticks); // /proc/PID/stat starttime equal
// Field 22 (starttime, clock ticks after boot) of a /proc/PID/stat text.
bool parse_stat_start_ticks(std::string_view stat, uint64_t* out);
// The same, read from /proc/PID/stat; false when it cannot be read.
bool read_start_ticks(int pid, uint64_t* out);

// The syscalls procsql's rules select (those the arch has): execve execveat clone clone3 fork
// vfork unshare setns, and exit_group when `exits` (only without the process-events connector,
// which reports every exit: its records would be received and dropped, and cost the kernel at
// every exit). One `always,exit` rule per architecture (b64 and b32 on x86_64 — use
// audit_detect_machine / MACH_86_64 -> also MACH_X86) listing all of them with -k key, preceded
// (appended just before them, never prepended) by a `never,exit` rule per arch for clone with a0 & CLONE_THREAD
// unless threads=true (clone3 cannot be filtered: its flags are behind a pointer).
struct RuleArch {
	int machine = -1;         // libaudit machine_t
	uint32_t arch = 0;        // AUDIT_ARCH_* value
	struct Syscall {
		std::string name;
		int nr = -1;
	};
	std::vector<Syscall> syscalls; // the ones of procsql's list this arch has
	int nr(std::string_view name) const; // -1 when the arch has no such syscall
};
// The architectures of this machine's kernel and procsql's syscalls on each,
// numbers from libaudit's tables (audit_name_to_syscall).
bool procsql_rule_arches(std::vector<RuleArch>* out, std::string* error, bool exits = true);

// A struct audit_rule_data for `list`/`action` on `arch` (0: no arch field)
// selecting `syscalls`, with an a0 & a0_bitmask field when a0_bitmask != 0,
// and the key (none when empty). Fields in auditctl's order: arch, a0, key.
std::vector<uint8_t> build_syscall_rule(uint32_t list, uint32_t action, uint32_t arch,
                                        const std::vector<int>& syscalls, uint32_t a0_bitmask,
                                        const std::string& key);

struct RuleInstall {
	std::vector<std::string> stale_keys_removed;  // keys of dead instances whose rules were deleted
	size_t rules_added = 0;
	std::vector<std::string> shadowing;           // one line per existing `never` exit rule listed
	                                              // before ours that can select one of our syscalls
	                                              // ("never,exit arch=b64 syscalls=execve,... fields=3 key=...")
};

// What install_rules will do, decided from the status and the rule list alone.
struct InstallPlan {
	std::vector<size_t> deletes;            // indexes into the rule list, in list order
	std::vector<std::string> stale_keys;    // dead instances' keys among the deletes (own key not included)
	struct Add {
		std::vector<uint8_t> data;
		uint32_t list = 0;                  // AUDIT_FILTER_EXIT
		uint32_t action = 0;
	};
	std::vector<Add> adds;                  // in the order to add them
	std::vector<std::string> shadowing;
	bool locked = false;                    // immutable: nothing to delete or add, rules already there
};
using AliveFn = std::function<bool(int pid, uint64_t start_ticks)>;

// Rules under a procsql instance key whose instance is dead (alive() false),
// in list order, without duplicates; own_key is never one of them.
std::vector<std::string> stale_rule_keys(const std::vector<AuditRule>& rules, const std::string& own_key,
                                         const AliveFn& alive);
// One line per rule that keeps an event of ours from being recorded: a
// `never` rule of the exit list listed before our first `always` exit rule
// (all of them when ours are not there yet, since ours are appended) on one
// of our arches or on none, selecting one of our syscalls; and any `never`
// rule of the task list (it stops all syscall auditing of the tasks it
// matches). Another procsql instance's CLONE_THREAD filter is no shadow when
// this instance filters threads too (threads=false).
std::vector<std::string> shadowing_rules(const std::vector<AuditRule>& rules, const std::string& own_key,
                                         const std::vector<RuleArch>& arches, bool threads);
// Immutable mode: true when `always` exit rules under some procsql- key,
// without other conditions, already select execve on the native arch
// (arches[0]) or on every arch.
bool locked_rules_suffice(const std::vector<AuditRule>& rules, const std::vector<RuleArch>& arches);
// enabled: AuditStatus::enabled (2 = locked). Deletes: the own key's rules
// (a previous install of this very instance) and the stale ones. Adds: the
// never rules then the always rules, all appended. Locked: nothing to
// do when locked_rules_suffice, otherwise false and the message.
bool plan_install(uint32_t enabled, const std::vector<AuditRule>& rules, const std::string& key, bool threads,
                  const std::vector<RuleArch>& arches, const AliveFn& alive, InstallPlan* out,
                  std::string* error);
// "never,exit arch=b64 syscalls=execve,execveat fields=3 key=foo": syscalls are
// those of procsql's list the rule selects ("all" for every syscall).
std::string describe_rule(const AuditRule& rule, const std::vector<RuleArch>& arches);

bool install_rules(AuditControl& control, const std::string& key, bool threads, RuleInstall* out, std::string* error,
                   bool exits = true);
bool remove_rules(AuditControl& control, const std::string& key, std::string* error); // only rules with exactly this key
// Immutable (enabled == 2): install_rules fails with a clear message unless rules with this
// instance's syscalls already exist under a procsql- key; never changes anything in that mode.

} // namespace procsql
