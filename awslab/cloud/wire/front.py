"""The cloud's front door for AWS calls: a WSGI layer around moto's app.

For each AWS request, in order:

1. read the whole body, with an idle timeout, before taking the state lock
   (:mod:`.body`): a stalled client costs only its own connection;
2. check what AWS checks before it acts (:mod:`.checks`): a known action,
   parameters of their modelled types, a readable JSON body;
3. hold the state lock while moto answers, consuming its lazily built response;
4. if moto fails instead of answering, answer what AWS answers for that input
   (malformed XML, an unimplemented feature) in the request's own protocol, and
   keep serving. Only a failure nobody foresaw becomes ``500 InternalFailure``, logged.

moto's answers (its successes and its own AWS errors) pass through unchanged.
"""
from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any, Callable
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from . import checks, errors, signature
from .body import BodyTimeout, read_body
from .request import AwsRequest, identify

__all__ = ["AwsFront", "from_failure"]

log = logging.getLogger("awslab.cloud")


class AwsFront:
    """WSGI app: ``moto_app`` behind a body reader, AWS's input checks and ``lock``."""

    def __init__(self, moto_app: Any, lock: threading.RLock, body_timeout_s: float | None = None,
                 owner_key: Any = None):
        self.moto_app = moto_app
        self.lock = lock
        self.body_timeout_s = body_timeout_s
        #: In class mode, the owner's access key: every request must be signed with it (:mod:`.signature`).
        self.owner_key = owner_key

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        try:
            body = read_body(environ, self.body_timeout_s)
        except BodyTimeout as e:
            # The server closes every connection after its answer, so the rest of the body is never read.
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(e.received), str(len(e.received))
            log.info("request body stalled (%s); answered RequestTimeout", e)
            return _answer(start_response, identify(self.moto_app, environ, e.received), errors.request_timeout())
        req = identify(self.moto_app, environ, body)
        problem = self._unsigned(req, environ, body) or _checked(req)
        if problem is None:
            status, headers, parts, problem = self._moto(req, environ)
        if problem is not None:
            return _answer(start_response, req, problem)
        start_response(status, headers)
        return parts

    def _unsigned(self, req: AwsRequest | None, environ: dict, body: bytes) -> errors.AwsError | None:
        """In class mode, AWS's refusal of a request its owner's key did not sign (None otherwise)."""
        if self.owner_key is None:
            return None
        service = req.service_name if req is not None else ""
        return signature.verify(environ, body, req.protocol if req is not None else "", service, self.owner_key)

    def _moto(self, req: AwsRequest | None, environ: dict) -> tuple[str, list, list[bytes], errors.AwsError | None]:
        """moto's answer (status, headers, body parts), or the error to answer instead of it."""
        answered: list = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            answered[:] = [status, headers]
            return _no_write

        failure = None
        with self.lock:
            try:  # consume the whole response inside the lock: moto builds it lazily
                parts = list(self.moto_app(environ, capture))
            except Exception as e:  # noqa: BLE001 - every failure gets an AWS-shaped answer; unforeseen ones are logged
                failure = e
        if failure is not None:
            return "", [], [], from_failure(req, failure)
        status, headers = answered
        if status[:3] in ("404", "405") and _is_html(headers):  # no route of moto's matched: werkzeug's HTML page
            return status, headers, parts, errors.no_such_route(req, environ, status[:3])
        return status, headers, parts, None


def _no_write(data: bytes) -> None:
    raise RuntimeError("moto's app wrote through start_response's write(); the cloud collects its answer instead")


def _checked(req: AwsRequest | None) -> errors.AwsError | None:
    """The checks' verdict; a check that fails itself lets the request through to moto (never a false refusal)."""
    if req is None:
        return None
    try:
        return checks.check(req)
    except Exception:  # noqa: BLE001
        log.warning("checking %s %s failed; passing it to moto", req.service_name, req.action, exc_info=True)
        return None


def from_failure(req: AwsRequest | None, exc: BaseException) -> errors.AwsError:
    """What AWS answers for the input that made moto fail with ``exc``.

    Input AWS refuses before acting (malformed XML or JSON, a value of the wrong type,
    an unknown filter) gets AWS's error. A Python error raised inside moto's service code
    is moto meeting input it doesn't handle (an id that doesn't exist, an odd value):
    the client hears, as a 400, that these parameters could not be processed. An error
    raised in awslab's own code is a bug in the cloud: ``500 InternalFailure``, logged.
    """
    from botocore.model import OperationNotFoundError

    from moto.core.parse import RequestParserError

    if isinstance(exc, NotImplementedError):
        if type(exc).__name__ == "FilterNotImplementedError":
            return errors.unknown_filter(req, str(exc))
        return errors.not_implemented(req, str(exc) or type(exc).__name__)
    if isinstance(exc, (ExpatError, ParseError, RequestParserError)):
        return errors.malformed_xml(req)
    if isinstance(exc, (json.JSONDecodeError, RecursionError)):
        return errors.serialization(req, "The request body is not valid JSON. Send a JSON object such as {}.")
    if isinstance(exc, OperationNotFoundError) and req is not None:
        return errors.invalid_action(req) if req.protocol != "json" else errors.unknown_operation(req)
    where = _raised_in(exc)
    if where == "moto.core.parse" and isinstance(exc, (ValueError, TypeError)):
        return errors.unreadable_parameter(req, str(exc))
    if where.startswith("moto.") and isinstance(exc, _INPUT_FAILURES):
        log.info("moto could not process %s %s; answered 400", req.service_name if req else "?",
                 req.action if req else "", exc_info=exc)
        return errors.unprocessable(req, f"{type(exc).__name__}: {exc}")
    log.error("the cloud failed on %s %s; answered InternalFailure", req.service_name if req else "?",
              req.action if req else "", exc_info=exc)
    return errors.internal_failure()


#: Python errors that, raised in moto's service code, mean input it does not handle.
_INPUT_FAILURES = (LookupError, ValueError, TypeError, AttributeError, RuntimeError, ArithmeticError, StopIteration)


def _raised_in(exc: BaseException) -> str:
    """The module of the innermost moto or awslab frame the error passed through ("" if none)."""
    module = ""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.startswith(("moto.", "awslab.")):
            module = name
        tb = tb.tb_next
    return module


def _is_html(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers)


def _answer(start_response: Callable, req: AwsRequest | None, error: errors.AwsError) -> list[bytes]:
    answer = errors.render(req, error)
    start_response(answer.status_line, answer.headers)
    return [answer.body]
