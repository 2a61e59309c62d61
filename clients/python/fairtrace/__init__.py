"""fairtrace: record training runs and models in a fairtrace registry.

    import fairtrace
    with fairtrace.start_run(experiment="leaf-segmentation", seed=42) as run:
        run.log_params({"lr": 1e-3, "epochs": 20})
        run.log_metric("val_dice", 0.87, step=20)
        run.log_model("out/mlflow_model", registered_model="leaf-segmenter")

See clients/python/README.md. Runs on Debian's python3 with python3-grpcio
and python3-protobuf; the gRPC stubs (fairtrace.v1) are generated at build
time.
"""

from fairtrace.client import Client, RetryPolicy
from fairtrace.errors import FairtraceError
from fairtrace.run import Run, start_run
from fairtrace.tree import Digest, build_tree

__all__ = ["Client", "Digest", "FairtraceError", "RetryPolicy", "Run", "build_tree", "start_run"]
__version__ = "0.1.0"
