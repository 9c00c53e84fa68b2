"""The AWS wire: requests as they arrive, and what AWS answers when they are wrong.

- :mod:`.body` reads a request's body before the state lock, with S3's idle timeout.
- :mod:`.request` tells which API, protocol and action a request is for (as moto's dispatcher does).
- :mod:`.checks` checks what AWS checks before acting: a known action, well-typed parameters.
- :mod:`.errors` writes AWS's errors in each protocol's shape (with moto's serializers).
- :mod:`.front` is the WSGI layer in front of moto that puts these together.

Import the module you need (``from awslab.cloud.wire.front import AwsFront``). This package
imports nothing itself, so the control API can use :mod:`.body` without loading moto.
"""
