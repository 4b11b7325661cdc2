"""TLS certificates are verified by default; turning that off is explicit and warned about once.

A self-signed certificate for 127.0.0.1 is made with the ``openssl`` command for the duration
of the module, and served by a local HTTPS server.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator

import pytest

from .helpers import TOKEN, doc, run_step
from .servers import ScriptedServer, echo_authorization

WARNING = "pytest-apispec: TLS certificate verification is OFF"
STAFF = 'endpoint: "GET /x"\ntokens: [staff]'


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServer]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with ScriptedServer(echo_authorization, tls=context) as server:
        server.cert = cert  # type: ignore[attr-defined]
        yield server


def test_verification_is_on_by_default(https_server: ScriptedServer) -> None:
    result = run_step(https_server.base_url, timeout=2)
    assert result.error is not None
    assert result.error.startswith(f"TLS verification failed for {https_server.base_url}/x")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_turning_verification_off_reaches_the_server(https_server: ScriptedServer) -> None:
    result = run_step(https_server.base_url, timeout=2, verify_tls=False)
    assert result.ok, result.problems


def _write(pytester: pytest.Pytester) -> None:
    for name in ("a", "b", "c"):
        steps = f"- method: GET\n  path: /{name}"
        (pytester.path / f"{name}.md").write_text(doc(steps, STAFF.replace("/x", f"/{name}")))


def test_a_real_run_fails_clearly_on_a_self_signed_certificate(
    pytester: pytest.Pytester, https_server: ScriptedServer
) -> None:
    _write(pytester)
    result = pytester.runpytest(
        "--api-base-url", https_server.base_url, "--api-token-staff", TOKEN, "--api-timeout", "2"
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([f"  - TLS verification failed for {https_server.base_url}/a: *"])
    assert WARNING not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("how", "args"),
    [
        ("option", ["--api-no-verify-tls"]),
        ("ini", ["-o", "api_verify_tls=false"]),
        ("option under xdist", ["--api-no-verify-tls", "-n", "2"]),
        ("ini under xdist", ["-o", "api_verify_tls=false", "-n", "2"]),
    ],
)
def test_turning_it_off_warns_exactly_once(
    pytester: pytest.Pytester, https_server: ScriptedServer, how: str, args: list[str]
) -> None:
    _write(pytester)
    result = pytester.runpytest_subprocess(
        "--api-base-url",
        https_server.base_url,
        "--api-token-staff",
        TOKEN,
        "--api-timeout",
        "2",
        "-p",
        "no:cacheprovider",
        *args,
        timeout=60,
    )
    # no warning of urllib3's per request, whatever it calls them: the plugin's, once, instead
    result.assert_outcomes(passed=3, warnings=0)
    output = result.stdout.str() + result.stderr.str()
    assert output.count(WARNING) == 1, output
