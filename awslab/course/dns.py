"""``dig`` for notebooks: ask the embedded cloud's Route 53 name server, as a browser's resolver would.

``dig("api.example.com")`` sends a real DNS query over UDP to the cloud's name
server (``awslab status`` shows its port) and returns a :class:`DigReply`:
the status (``NOERROR``, ``NXDOMAIN``, ``REFUSED``), the answer's records with
their TTLs, and the authority section. When the ``dig`` program is installed
(Debian's ``bind9-dnsutils``) the reply also shows ``dig``'s own output for the
same question, so the notebook shows the command you would type in a terminal.
"""
from __future__ import annotations

import html
import shutil
import subprocess
from dataclasses import dataclass, field

from ..i18n import _

__all__ = ["dig", "dns_server", "DigReply", "DnsRecord"]


@dataclass(frozen=True)
class DnsRecord:
    """One record of an answer: ``name ttl type value`` as dig prints it."""

    name: str
    ttl: int
    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.value}"


@dataclass
class DigReply:
    """The answer to one question: status, answer and authority records, and what dig printed (if it ran)."""

    name: str
    type: str
    status: str
    answer: list[DnsRecord] = field(default_factory=list)
    authority: list[DnsRecord] = field(default_factory=list)
    command: str = ""
    output: str = ""  # dig's own output, when dig is installed

    @property
    def addresses(self) -> list[str]:
        """The A/AAAA values of the answer, in order."""
        return [r.value for r in self.answer if r.type in ("A", "AAAA")]

    def text(self) -> str:
        if self.output:
            return f"$ {self.command}\n{self.output.strip()}"
        lines = [f"$ {self.command}", f"status: {self.status}"]
        lines += [f"ANSWER:    {r}" for r in self.answer] + [f"AUTHORITY: {r}" for r in self.authority]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<pre style='white-space:pre-wrap;font-family:monospace'>{html.escape(self.text())}</pre>"


def dns_server(lab=None) -> tuple[str, int]:
    """``(host, port)`` of the embedded cloud's Route 53 name server (``GET /_awslab/dns``)."""
    from ..cloud.client import ControlClient
    from ..errors import BackendError
    from . import current_lab

    lab = lab or current_lab()
    if not lab.endpoint_url:
        raise BackendError(_("This lab runs on real AWS, where Route 53's name servers answer on the internet."),
                           _("Ask one of the hosted zone's name servers: dig @<a name server of the zone> <name>."))
    server = ControlClient(lab.endpoint_url, timeout=10).call("GET", "dns")
    if not server.get("port"):
        raise BackendError(_("The embedded cloud at {url} runs no DNS server ({error}).").format(
            url=lab.endpoint_url, error=server.get("last_error") or "AWSLAB_DNS=0"),
            _("Restart the cloud (awslab cloud stop; awslab cloud start) without AWSLAB_DNS=0, or free port 10053."))
    return server.get("host", "127.0.0.1"), int(server["port"])


def _records(rrsets) -> list[DnsRecord]:
    import dns.rdatatype

    return [DnsRecord(rrset.name.to_text(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
            for rrset in rrsets for rd in rrset]


def dig(name: str, type: str = "A", lab=None, tcp: bool = False, timeout_s: float = 5.0) -> DigReply:
    """Ask the cloud's name server for ``name``'s ``type`` records (dnspython; dig's output too, if installed)."""
    import dns.message
    import dns.query
    import dns.rcode

    host, port = dns_server(lab)
    query = dns.message.make_query(name, type)
    ask = dns.query.tcp if tcp else dns.query.udp
    response = ask(query, host, port=port, timeout=timeout_s)
    command = f"dig @{host} -p {port}{' +tcp' if tcp else ''} {name} {type}"
    reply = DigReply(name, type, dns.rcode.to_text(response.rcode()), _records(response.answer),
                     _records(response.authority), command)
    if shutil.which("dig"):
        try:
            run = subprocess.run(command.split() + ["+nocmd", "+nostats"],
                                 capture_output=True, text=True, timeout=timeout_s + 5)
            reply.output = run.stdout
        except (OSError, subprocess.TimeoutExpired):
            pass  # the structured answer above stands on its own
    return reply
