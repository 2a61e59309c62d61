"""The MLflow door over TLS with client certificates, with the real MLflow
2.10.2 client (docs/mlflow-door.md, "Identity, access, audit"):
MLFLOW_TRACKING_SERVER_CERT_PATH verifies the server,
MLFLOW_TRACKING_CLIENT_CERT_PATH presents a client certificate whose
subject is the principal ("x509:<subject>", as on the gRPC port); no
certificate, another CA's certificate or plaintext HTTP get nothing."""

import os
import shutil
import subprocess
import tempfile
import unittest

import requests
from mlflow import MlflowClient

from e2e_experiments import SERVER_BIN, Door


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(d, name):
    key, crt = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", crt, "-days", "2", "-subj", f"/CN={name}")
    return key, crt


def issue(d, ca, name, subject, ext):
    key, csr, crt = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt"))
    extfile = os.path.join(d, f"{name}.ext")
    with open(extfile, "w") as f:
        f.write(ext + "\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", subject)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial", "-out", crt, "-days", "2",
            "-extfile", extfile)
    both = os.path.join(d, f"{name}.pem")  # what requests takes as `cert`
    with open(both, "w") as out, open(crt) as c, open(key) as k:
        out.write(c.read() + k.read())
    return key, crt, both


class TlsDoor(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        pki = os.path.join(self.tmp, "pki")
        os.makedirs(pki)
        self.ca = make_ca(pki, "lab-ca")
        self.other_ca = make_ca(pki, "other-ca")
        self.server = issue(pki, self.ca, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        self.alice = issue(pki, self.ca, "alice", "/O=phenome lab/CN=alice", "extendedKeyUsage=clientAuth")
        self.mallory = issue(pki, self.other_ca, "mallory", "/O=phenome lab/CN=alice", "extendedKeyUsage=clientAuth")
        self.data = os.path.join(self.tmp, "data")
        Door(self.data).stop()  # the offline grant needs a database
        subprocess.run([SERVER_BIN, "grants", "add", "x509:CN=alice,O=phenome lab", "data-scientist", "--data-dir",
                        self.data], capture_output=True, check=True)
        self.door = Door(self.data, "--tls-cert", self.server[1], "--tls-key", self.server[0], "--client-ca",
                         self.ca[1])

    def tearDown(self):
        for k in ("MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH"):
            os.environ.pop(k, None)
        self.door.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_a_client_certificate_is_the_principal(self):
        self.assertTrue(self.door.uri.startswith("https://"))
        os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = self.ca[1]
        os.environ["MLFLOW_TRACKING_CLIENT_CERT_PATH"] = self.alice[2]
        client = MlflowClient(self.door.uri)
        exp = client.create_experiment("over tls")  # alice's grant lets her write
        run = client.create_run(exp)
        client.log_metric(run.info.run_id, "loss", 0.5)
        self.assertEqual(client.get_run(run.info.run_id).data.metrics, {"loss": 0.5})
        api = f"{self.door.uri}/api/2.0/mlflow/experiments/search"
        # Without a certificate, with another CA's or over plaintext: no call.
        with self.assertRaises(requests.exceptions.RequestException):
            requests.get(api, verify=self.ca[1], timeout=10)
        with self.assertRaises(requests.exceptions.RequestException):
            requests.get(api, verify=self.ca[1], cert=self.mallory[2], timeout=10)
        with self.assertRaises(requests.exceptions.RequestException):
            requests.get(api.replace("https://", "http://"), timeout=10)
        # A server certificate the client does not trust is refused by the client.
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(api, verify=self.other_ca[1], cert=self.alice[2], timeout=10)


if __name__ == "__main__":
    unittest.main()
