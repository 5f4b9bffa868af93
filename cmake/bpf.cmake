# Builds bpf/<name>.bpf.c into a CO-RE object and a libbpf skeleton
# (<build>/bpf/<name>.skel.h) that embeds it, so the extension is self-contained.
#
# vmlinux.h is generated from the build machine's BTF (any BTF kernel will do:
# CO-RE relocates field offsets at load time on the target kernel).
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
set(PROCSQL_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF the vmlinux.h is generated from")

set(PROCSQL_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${PROCSQL_BPF_OUT})

add_custom_command(OUTPUT ${PROCSQL_BPF_OUT}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${PROCSQL_VMLINUX_BTF} format c > ${PROCSQL_BPF_OUT}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${PROCSQL_VMLINUX_BTF}")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(PROCSQL_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(PROCSQL_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "procsql: unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(procsql_bpf_skeleton name)
  set(src ${CMAKE_SOURCE_DIR}/bpf/${name}.bpf.c)
  set(obj ${PROCSQL_BPF_OUT}/${name}.bpf.o)
  set(skel ${PROCSQL_BPF_OUT}/${name}.skel.h)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${PROCSQL_BPF_ARCH}
            -Wall -Werror -I${PROCSQL_BPF_OUT} -I${CMAKE_SOURCE_DIR}/bpf
            -c ${src} -o ${obj}
    DEPENDS ${src} ${bpf_headers} ${PROCSQL_BPF_OUT}/vmlinux.h
    COMMENT "Compiling BPF ${name}.bpf.c")
  add_custom_command(OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${name}.skel.h")
  add_custom_target(procsql_bpf_${name} DEPENDS ${skel})
endfunction()
