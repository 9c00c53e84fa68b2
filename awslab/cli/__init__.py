"""The awslab command line (``awslab --help`` lists the commands).

- :mod:`.parser`  the commands, their help texts and ``main``
- :mod:`.cloud`   awslab cloud and awslab up
- :mod:`.lab`     awslab build, status, cli-log, teardown and topology
- :mod:`.course`  awslab progress and awslab lab
- :mod:`.doctor`  awslab doctor
- :mod:`.present` awslab present (the dashboard through Voila)
"""
from .parser import LAYERS, build_parser, main

__all__ = ["LAYERS", "build_parser", "main"]
