// Prints where each source line of a loaded BPF program landed in its JIT
// image, so that sampled instruction addresses (perf) can be named by line:
// bpftool shows JIT images only when built with a disassembler, which
// Debian's is not, but the kernel keeps the mapping (jited_line_info) for
// any program loaded with BTF line info, as procsql's are.
//
// Usage: bpf_lines PROG_ID
// Output, one line each:
//   func ADDR LEN                 a function (the program, or a subprogram) of the image
//   line ADDR FILE:LINE TEXT      the first instruction of a source line's code
// Addresses are the kernel's (hex, as perf prints them).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bpf_lines PROG_ID\n");
		return 2;
	}
	const __u32 id = (__u32)strtoul(argv[1], NULL, 10);
	const int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		fprintf(stderr, "bpf_lines: program %u: %s\n", id, strerror(errno));
		return 1;
	}
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
		fprintf(stderr, "bpf_lines: program %u: no info: %s\n", id, strerror(errno));
		return 1;
	}
	const __u32 nlines = info.nr_line_info, njited = info.nr_jited_line_info;
	const __u32 nksyms = info.nr_jited_ksyms, nlens = info.nr_jited_func_lens;
	const __u32 btf_id = info.btf_id;
	if (nlines == 0 || njited != nlines || btf_id == 0) {
		fprintf(stderr, "bpf_lines: program %u has no JIT line info (lines %u, jited %u, btf %u)\n", id,
			nlines, njited, btf_id);
		return 1;
	}
	struct bpf_line_info *lines = calloc(nlines, sizeof(*lines));
	__u64 *jited = calloc(njited, sizeof(*jited));
	__u64 *ksyms = calloc(nksyms ? nksyms : 1, sizeof(*ksyms));
	__u32 *lens = calloc(nlens ? nlens : 1, sizeof(*lens));
	if (!lines || !jited || !ksyms || !lens) {
		fprintf(stderr, "bpf_lines: out of memory\n");
		return 1;
	}
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nlines;
	info.line_info_rec_size = sizeof(*lines);
	info.line_info = (__u64)(uintptr_t)lines;
	info.nr_jited_line_info = njited;
	info.jited_line_info_rec_size = sizeof(*jited);
	info.jited_line_info = (__u64)(uintptr_t)jited;
	info.nr_jited_ksyms = nksyms;
	info.jited_ksyms = (__u64)(uintptr_t)ksyms;
	info.nr_jited_func_lens = nlens;
	info.jited_func_lens = (__u64)(uintptr_t)lens;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
		fprintf(stderr, "bpf_lines: program %u: no line info: %s\n", id, strerror(errno));
		return 1;
	}
	struct btf *btf = btf__load_from_kernel_by_id(btf_id);
	if (!btf) {
		fprintf(stderr, "bpf_lines: BTF %u: %s\n", btf_id, strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < nksyms && i < nlens; i++)
		printf("func %llx %u\n", (unsigned long long)ksyms[i], lens[i]);
	for (__u32 i = 0; i < nlines; i++) {
		const char *file = btf__name_by_offset(btf, lines[i].file_name_off);
		const char *text = btf__name_by_offset(btf, lines[i].line_off);
		printf("line %llx %s:%u %s\n", (unsigned long long)jited[i], base_name(file ? file : "?"),
		       BPF_LINE_INFO_LINE_NUM(lines[i].line_col), text ? text : "");
	}
	btf__free(btf);
	return 0;
}
