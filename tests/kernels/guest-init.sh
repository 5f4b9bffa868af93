#!/bin/busybox sh
# /init of the guest (tests/kernels/initramfs.sh puts it there): mounts what a
# Debian host has mounted, runs the checks (km.backends=bpf[,audit] on the
# kernel command line says which), prints the result on the serial console and
# powers off. The host reads everything from the console (matrix.sh).
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
export KM_LIFECYCLE=/km/lifecycle
# A pure cgroup v2 host, as systemd sets one up (the checks make a container's
# cgroup in it).
mount -t cgroup2 cgroup2 /sys/fs/cgroup

backends=$(sed -n 's/.*km\.backends=\([^ ]*\).*/\1/p' /proc/cmdline)
rc=0
for b in $(echo "${backends:-bpf}" | tr , ' '); do
  sh /km/checks.sh "$b" /km/procsql.so || rc=1
done
echo "KM GUEST-DONE rc=$rc"
poweroff -f
