"""What a run captures about itself: code (git), environment (Python,
packages, OS, CPU, GPU, container), each best effort: a missing git or
nvidia-smi leaves the field empty rather than failing the run.
"""

import os
import platform
import shutil
import socket
import subprocess
import sys
from typing import Dict, Optional, Tuple

_TIMEOUT = 10


def _run(args, cwd=None) -> Optional[str]:
    try:
        out = subprocess.run(args, cwd=cwd, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.decode("utf-8", "replace")


def script_folder() -> str:
    """The folder of the running script (the current folder for -c/REPL)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


def git_state(folder: str) -> Tuple[Dict[str, str], Optional[bytes]]:
    """({repository_url, commit, branch, entry_point}, dirty diff bytes or
    None) of the git repository holding `folder`; empty when not in one."""
    top = _run(["git", "rev-parse", "--show-toplevel"], cwd=folder)
    if not top:
        return {}, None
    top = top.strip()
    info = {
        "commit": (_run(["git", "rev-parse", "HEAD"], cwd=top) or "").strip(),
        "branch": (_run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=top) or "").strip(),
        "repository_url": (_run(["git", "remote", "get-url", "origin"], cwd=top) or "").strip(),
    }
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main:
        info["entry_point"] = os.path.relpath(os.path.abspath(main), top)
    if info["branch"] == "HEAD":
        info["branch"] = ""  # detached
    diff = _run(["git", "diff", "HEAD", "--binary"], cwd=top)
    untracked = _run(["git", "ls-files", "--others", "--exclude-standard"], cwd=top)
    dirty = (diff or "") + ("".join(f"untracked: {p}\n" for p in (untracked or "").splitlines()))
    return info, dirty.encode("utf-8") if dirty else None


def installed_packages() -> Dict[str, str]:
    from importlib import metadata
    out = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            out[name] = dist.version or ""
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def gpu_info() -> Dict[str, str]:
    """gpu_model, gpu_driver, cuda_version from nvidia-smi when present."""
    if not shutil.which("nvidia-smi"):
        return {}
    out = _run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"])
    info = {}
    if out:
        names, drivers = [], []
        for line in out.strip().splitlines():
            parts = [p.strip() for p in line.split(",")]
            names.append(parts[0])
            if len(parts) > 1:
                drivers.append(parts[1])
        info["gpu_model"] = "; ".join(names)
        info["gpu_driver"] = drivers[0] if drivers else ""
    header = _run(["nvidia-smi"])
    if header and "CUDA Version:" in header:
        info["cuda_version"] = header.split("CUDA Version:", 1)[1].split()[0]
    return info


def environment() -> Dict[str, object]:
    env = {
        "python_version": platform.python_version(),
        "packages": installed_packages(),
        "os": platform.platform(),
        "cpu_model": cpu_model(),
        "hostname": socket.gethostname(),
        "container_image_digest": os.environ.get("FAIRTRACE_CONTAINER_IMAGE_DIGEST", ""),
    }
    env.update(gpu_info())
    return env
