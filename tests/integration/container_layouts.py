"""Real runc containers laid out as Docker, containerd (Kubernetes CRI) and
CRI-O lay theirs out, for the container tests (container_map, attribution,
processes and the queries of queries/).

Nothing is simulated: each container is a real `runc run` (containers.py),
only its linux.cgroupsPath, its runc container id and its config.json
annotations are what the real runtime would write:

  docker      cgroupsPath "docker/<64hex>" (Docker's cgroupfs driver) or
              "system.slice/docker-<64hex>.scope" (systemd driver's name;
              runc's cgroupfs driver takes it as a plain directory name)
  containerd  "kubepods/burstable/pod<uid>/<64hex>" (kubelet's cgroupfs
              driver), runc id = the 64-hex id, io.kubernetes.cri.* annotations
  cri-o       "kubepods/besteffort/pod<uid>/crio-<64hex>", runc id = the id,
              CRI-O's io.kubernetes.* / io.kubernetes.cri-o.* annotations

A relative cgroupsPath lands under this process's own cgroup in every
hierarchy (see containers.py). runc removes the container's own directory
when the container is deleted, not the parents it created; the pod<uid>
directories are unique to one test and are removed at cleanup (registered
BEFORE the container, so it runs after runc's delete). Shared parents
("docker", "kubepods", "kubepods/burstable", "system.slice") are left, as on a
real node: another test may be using them at the same moment.
"""

import os
import uuid

from containers import Container, cgroup2_mount

QUERIES_DIR = os.path.join(
    os.environ.get("PROCSQL_SOURCE_DIR",
                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")),
    "queries")


def hex64():
    """A container id as Docker/containerd/CRI-O make them: 64 hex digits."""
    return uuid.uuid4().hex + uuid.uuid4().hex


def rows(conn, sql, args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def query_text(name):
    with open(os.path.join(QUERIES_DIR, name)) as f:
        return f.read()


def run_query(conn, name, replace=()):
    """Run queries/NAME as written (optionally with textual replacements, as a
    user would edit the resumption value), as a list of dicts."""
    sql = query_text(name)
    for old, new in replace:
        if old not in sql:
            raise AssertionError("%r not in %s" % (old, name))
        sql = sql.replace(old, new)
    # No job: @job is NULL, the whole table (as in the shell without
    # `.parameter set @job`).
    return rows(conn, sql, {"job": None} if "@job" in sql else ())


def window_after(eid):
    """The replacement that runs a query of queries/ as a job whose position
    is `eid` would (the jobs themselves, through procsqld, are test_jobs'):
    its window on process_events starts at eid + 1."""
    return (("procsql_window(@job, 'process_events')",
             "(SELECT 'resumed' AS job, 'store' AS store_id, %d AS lo, 9223372036854775807 AS hi)" % (eid + 1)),)


def _own_cgroup_dirs(rel):
    """Where a relative cgroup path REL lands in every hierarchy."""
    out = []
    with open("/proc/self/cgroup") as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    for _, ctrls, path in lines:
        if ctrls == "":
            root = cgroup2_mount()
        else:
            root = os.path.join("/sys/fs/cgroup", ctrls.split(",")[0].replace("name=", ""))
        if root and os.path.isdir(root):
            out.append(os.path.normpath(os.path.join(root, path.lstrip("/"), rel)))
    return out


def remove_dirs_at_cleanup(tc, rel):
    """At cleanup, rmdir the (unique, empty) directory REL in every hierarchy."""
    def rm():
        for d in _own_cgroup_dirs(rel):
            try:
                os.rmdir(d)
            except OSError:
                pass
    tc.addCleanup(rm)


def docker_container(tc, args, scope=False, **kw):
    """A container laid out as Docker: id = 64 hex, cgroup docker/<id> or
    system.slice/docker-<id>.scope. Returns (container, id)."""
    cid = hex64()
    path = ("system.slice/docker-%s.scope" % cid) if scope else ("docker/" + cid)
    c = Container(tc, args, cgroups_path=path, **kw)
    c.id = cid  # Docker runs runc with the container's own id
    return c, cid


def containerd_container(tc, args, name="web", image="docker.io/library/busybox:1.36",
                         pod_name=None, namespace="shop", qos="burstable", **kw):
    """A Kubernetes container run by containerd's CRI plugin (cgroupfs driver).
    Returns (container, facts) with facts: id, pod_uid, pod_name, namespace,
    name, image."""
    cid, pod_uid = hex64(), str(uuid.uuid4())
    pod_name = pod_name or "web-" + uuid.uuid4().hex[:10]
    annotations = {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.container-name": name,
        "io.kubernetes.cri.image-name": image,
        "io.kubernetes.cri.sandbox-id": hex64(),
        "io.kubernetes.cri.sandbox-name": pod_name,
        "io.kubernetes.cri.sandbox-namespace": namespace,
        "io.kubernetes.cri.sandbox-uid": pod_uid,
    }
    pod_dir = "kubepods/%s/pod%s" % (qos, pod_uid)
    remove_dirs_at_cleanup(tc, pod_dir)
    c = Container(tc, args, cgroups_path="%s/%s" % (pod_dir, cid),
                  annotations=annotations, **kw)
    c.id = cid
    return c, dict(id=cid, pod_uid=pod_uid, pod_name=pod_name, namespace=namespace,
                   name=name, image=image, runtime="containerd")


def crio_container(tc, args, name="api", image="quay.io/example/api:2",
                   pod_name=None, namespace="prod", **kw):
    """A Kubernetes container run by CRI-O (cgroupfs driver, crio-<id>)."""
    cid, pod_uid = hex64(), str(uuid.uuid4())
    pod_name = pod_name or "api-" + uuid.uuid4().hex[:10]
    annotations = {
        "io.kubernetes.cri-o.ContainerType": "container",
        "io.kubernetes.cri-o.ContainerID": cid,
        "io.kubernetes.cri-o.ImageName": image,
        "io.kubernetes.cri-o.Name": "k8s_%s_%s_%s_%s_0" % (name, pod_name, namespace, pod_uid),
        "io.kubernetes.container.name": name,
        "io.kubernetes.pod.name": pod_name,
        "io.kubernetes.pod.namespace": namespace,
        "io.kubernetes.pod.uid": pod_uid,
    }
    pod_dir = "kubepods/besteffort/pod%s" % pod_uid
    remove_dirs_at_cleanup(tc, pod_dir)
    c = Container(tc, args, cgroups_path="%s/crio-%s" % (pod_dir, cid),
                  annotations=annotations, **kw)
    c.id = cid
    return c, dict(id=cid, pod_uid=pod_uid, pod_name=pod_name, namespace=namespace,
                   name=name, image=image, runtime="cri-o")


def clean_procsql_env(tc, **extra):
    """The extension reads PROCSQL_* when the collector starts: give it the
    defaults plus EXTRA for this test, restored at cleanup. The backend under
    test stays (PROCSQL_TEST_BACKEND): an audit variant must not quietly run
    on eBPF."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("PROCSQL_")}
    for k in saved:
        del os.environ[k]
    os.environ["PROCSQL_BACKEND"] = saved.get("PROCSQL_TEST_BACKEND", "bpf")
    if "PROCSQL_TEST_BACKEND" in saved:
        os.environ["PROCSQL_TEST_BACKEND"] = saved["PROCSQL_TEST_BACKEND"]

    def restore():
        for k in [k for k in os.environ if k.startswith("PROCSQL_")]:
            del os.environ[k]
        os.environ.update(saved)
    tc.addCleanup(restore)
    os.environ.update(extra)
