"""The real fairtrace-server with its MLflow door on free loopback ports,
for the Python benches of the door (mlflow_python_clients.py,
mlflow_log_model.py)."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile


@contextlib.contextmanager
def door(server_bin):
    """Yields the door's URI (http://127.0.0.1:PORT); the server and its
    data folder are gone afterwards."""
    tmp = tempfile.mkdtemp()
    proc = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", "--mlflow-listen", "127.0.0.1:0",
                             "--data-dir", os.path.join(tmp, "data"), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        uri = None
        for _ in range(5):
            m = re.search(r"MLflow door on (http://\S+)", proc.stdout.readline().decode())
            if m:
                uri = m.group(1)
                break
        if uri is None:
            raise RuntimeError("the server printed no MLflow door")
        yield uri
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
