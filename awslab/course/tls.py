"""HTTPS from a notebook as from a terminal: the real ``curl`` with ``--cacert <lab CA>``, the name resolved by Route 53.

On AWS: ``curl https://api.example.com/``. Here DNS answers the ALB's local address (:func:`awslab.course.dns.dig`)
and each listener has its own local port, so the command reads
``curl --cacert <lab CA> --resolve api.example.com:<port>:<address> https://api.example.com:<port>/``. ``--resolve``
only says where the name lives; curl still sends the name as SNI and checks it against the certificate, as a browser
does. The cell prints the command, which works unchanged in a terminal.
"""
from __future__ import annotations

import html
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..i18n import N_, _

__all__ = ["HttpsReply", "https_get"]

NO_CURL = N_("curl is not installed on this machine (Debian/Ubuntu: apt-get install curl).")


@dataclass
class HttpsReply:
    """What ``curl`` got: its exit code (0 = fine, 60 = certificate not trusted for the name, 35 = TLS failed, 28 =
    timed out), the status line's code, the response headers and body."""

    command: str
    exit_code: int
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str = ""

    def _repr_html_(self) -> str:
        head = f"<code>$ {html.escape(self.command)}</code><br>"
        if self.exit_code != 0:
            return head + f"<b>curl: ({self.exit_code})</b> {html.escape(self.error)}"
        return head + f"<b>HTTP {self.status}</b><pre>{html.escape(self.body[:2000])}</pre>"

    def __repr__(self) -> str:
        return f"$ {self.command}\n" + (f"HTTP {self.status}\n{self.body[:2000]}" if self.exit_code == 0 else
                                        f"curl: ({self.exit_code}) {self.error}")


def _parse(out: str) -> tuple[int | None, dict[str, str], str]:
    head, _sep, body = out.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = None
    headers = {k.strip().lower(): v.strip() for k, _s, v in (ln.partition(":") for ln in lines[1:]) if _s}
    return status, headers, body


def _resolve(name: str, lab, tries: int = 3):
    """The lab's Route 53 answer for ``name``, retried over UDP as dig does (3 tries) when a busy machine drops one."""
    import dns.exception

    from .dns import dig

    for _attempt in range(tries - 1):
        try:
            return dig(name, lab=lab)
        except dns.exception.Timeout:
            continue
    return dig(name, lab=lab)


def https_get(name: str, path: str = "/", lab=None, load_balancer: str | None = None, timeout_s: float = 15.0) -> HttpsReply:
    """``curl -i --cacert <lab CA>`` to ``https://<name><path>`` through the lab's DNS and the ALB's HTTPS listener."""
    from ..cloud.labca import ca_certificate_path
    from ..traffic.target import alb_url
    from . import current_lab

    lab = lab or current_lab()
    if shutil.which("curl") is None:
        return HttpsReply("curl", 127, error=_(NO_CURL))
    answer = _resolve(name, lab)
    address = answer.addresses[0] if answer.addresses else "127.0.0.1"
    listener = urlsplit(alb_url(load_balancer or f"{lab.name}-alb", lab.endpoint_url, listener_port=443))
    command = ["curl", "-sS", "-i", "--max-time", str(int(timeout_s)), "--cacert", str(ca_certificate_path()),
               "--resolve", f"{name}:{listener.port}:{address}", f"https://{name}:{listener.port}{path}"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s + 5)
    except subprocess.TimeoutExpired:
        return HttpsReply(shlex.join(command), 28, error="timed out")
    if run.returncode != 0:
        return HttpsReply(shlex.join(command), run.returncode, error=run.stderr.strip())
    status, headers, body = _parse(run.stdout)
    return HttpsReply(shlex.join(command), 0, status, headers, body)
